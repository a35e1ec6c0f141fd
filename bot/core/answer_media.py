"""Images inside a model's answer (image models served through chat completions).

Such answers carry images as Markdown images `![alt](https://…)` or `![alt](data:image/png;base64,…)`,
sometimes as a bare data URL. The chat shows them as photos and the text around them as usual.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re

from bot.wenwen import WenwenError
from bot.wenwen.http import GatewayHttp

log = logging.getLogger(__name__)

_MARKDOWN_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?((?:https?://|data:image/)[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE_DATA_URL = re.compile(r"data:image/[\w.+-]+;base64,[A-Za-z0-9+/=]{64,}")
# The start of an image that is still streaming in: hidden until it is complete.
_PARTIAL_TAIL = re.compile(r"(!\[[^\]\n]*(\]\([^)]*)?|data:image/[\w.+-]*(;base64,[A-Za-z0-9+/=]*)?)$")
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


class AnswerMedia:
    """Fetches the images an answer points to (data URLs decoded, links downloaded)."""

    def __init__(self, http: GatewayHttp, max_images: int = 10) -> None:
        self._http = http
        self._max_images = max_images

    async def images_in(self, markdown: str) -> tuple[bytes, ...]:
        found: list[bytes] = []
        for source in image_sources(markdown)[: self._max_images]:
            data = decode_data_url(source)
            if data is None and source.startswith("http"):
                try:
                    data, _ = await self._http.download(source, max_bytes=20_000_000)
                except WenwenError as error:
                    log.info("image in an answer could not be downloaded: %s", error)
            if data:
                found.append(data)
        return tuple(found)
