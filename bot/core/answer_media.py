"""Images inside a model's answer (image models served through chat completions).

Such answers carry images as Markdown images `![alt](https://…)` or `![alt](data:image/png;base64,…)`,
sometimes as a bare data URL. The chat shows them as photos and the text around them as usual.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from dataclasses import dataclass
from typing import Protocol

from bot.wenwen import WenwenError

from .images import inspect_image_async

log = logging.getLogger(__name__)

_MARKDOWN_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?((?:https?://|data:image/)[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE_DATA_URL = re.compile(r"data:image/[\w.+-]+;base64,[A-Za-z0-9+/=]{64,}")
# The start of an image that is still streaming in: hidden until it is complete.
_PARTIAL_TAIL = re.compile(r"(!\[[^\]\n]*(\]\([^)]*)?|data:image/[\w.+-]*(;base64,[A-Za-z0-9+/=]*)?)$")
_ALT = re.compile(r"!\[([^\]\n]*)\]")
PLACEHOLDER = "[image]"


def image_sources(markdown: str) -> list[str]:
    """URLs and data URLs of the images in an answer, in the order they appear, without duplicates."""
    found = [(m.start(), m.group(1)) for m in _MARKDOWN_IMAGE.finditer(markdown)]
    # bare data URLs outside Markdown images; blanking keeps every position where it was
    blanked = _MARKDOWN_IMAGE.sub(lambda m: " " * len(m.group(0)), markdown)
    found += [(m.start(), m.group(0)) for m in _BARE_DATA_URL.finditer(blanked)]
    return list(dict.fromkeys(source for _, source in sorted(found)))


def display_text(markdown: str, *, streaming: bool = False) -> str:
    """The answer without its images (they are sent as photos).

    While streaming, the start of an image still arriving is hidden too; a finished answer keeps
    its last words even when they look like the start of one ("…written as ![alt").
    """
    text = _MARKDOWN_IMAGE.sub("", markdown)
    text = _BARE_DATA_URL.sub("", text)
    if streaming:
        text = _PARTIAL_TAIL.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def storable_text(markdown: str) -> str:
    """The answer for history: links stay, base64 payloads (megabytes) become a placeholder."""
    text = _MARKDOWN_IMAGE.sub(lambda m: m.group(0) if m.group(1).startswith("http") else PLACEHOLDER, markdown)
    return _BARE_DATA_URL.sub(PLACEHOLDER, text)


def decode_data_url(source: str) -> bytes | None:
    if not source.startswith("data:image/") or ";base64," not in source:
        return None
    try:
        return base64.b64decode(source.split(";base64,", 1)[1], validate=False)
    except (binascii.Error, ValueError):
        return None


class UrlFetcher(Protocol):
    async def fetch(self, url: str, *, max_bytes: int, deadline: float) -> tuple[bytes, str]: ...


MAX_IMAGES = 10  # per answer; past it the links stay in the text as links
MAX_IMAGE_BYTES = 20_000_000
FETCH_BUDGET = 30.0  # seconds for all of an answer's downloads together


@dataclass(frozen=True, slots=True)
class AnswerPictures:
    """The images an answer carried that are real images, and the answer's text as it is shown."""

    images: tuple[bytes, ...]
    text: str  # delivered images removed; the others kept as plain links


class AnswerMedia:
    """Gets the images an answer points to: data URLs decoded, links downloaded keyless through the SSRF guard.

    What arrives must decode as an image (Pillow), or it is not sent: an answer never makes the
    bot post arbitrary bytes. Caps: MAX_IMAGES, MAX_IMAGE_BYTES each, FETCH_BUDGET for them all.
    """

    def __init__(self, fetcher: UrlFetcher, max_images: int = MAX_IMAGES, budget: float = FETCH_BUDGET) -> None:
        self._fetcher = fetcher
        self._max_images = max_images
        self._budget = budget

    async def collect(self, markdown: str) -> AnswerPictures:
        delivered: dict[str, bytes] = {}
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + self._budget
        for source in image_sources(markdown)[: self._max_images]:
            left = ends_at - loop.time()
            if left <= 0:
                break
            data = await self._bytes(source, left)
            if data is not None and await inspect_image_async(data) is not None:
                delivered[source] = data
            elif data is not None:
                log.info("an image in an answer is not a readable image; it is not sent")
        return AnswerPictures(tuple(delivered.values()), _shown_text(markdown, delivered))

    async def _bytes(self, source: str, left: float) -> bytes | None:
        data = decode_data_url(source)
        if data is not None:
            return data if len(data) <= MAX_IMAGE_BYTES else None
        if not source.startswith(("http://", "https://")):
            return None
        try:
            body, _ = await self._fetcher.fetch(source, max_bytes=MAX_IMAGE_BYTES, deadline=left)
        except WenwenError as error:  # refused by the guard, too big, gone: the link stays a link
            log.info("image in an answer not downloaded: %s", error)
            return None
        return body


def _shown_text(markdown: str, delivered: dict[str, bytes]) -> str:
    """The final text: delivered images removed (they follow as photos), the rest kept as links."""

    def keep_as_link(match: re.Match[str]) -> str:
        source = match.group(1)
        if source in delivered or not source.startswith("http"):
            return ""
        label = _ALT.match(match.group(0))
        return f"[{(label.group(1) if label else '').strip() or source}]({source})"

    text = _MARKDOWN_IMAGE.sub(keep_as_link, markdown)
    text = _BARE_DATA_URL.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
