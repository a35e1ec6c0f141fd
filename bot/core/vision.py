"""Images in a conversation: which models see them, which images go with a request, which were refused."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.wenwen import ErrorKind, WenwenError
from storage import StoredMessage

from .context import ImageData
from .images import fit_for_model_async

log = logging.getLogger(__name__)

# Model names that accept image parts. The gateway's model list does not say, so this is a
# name heuristic; a chat whose model is not matched uses VISION_MODEL for turns with images.
_VISION_CAPABLE = re.compile(
    r"(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4-turbo|gpt-4-vision|gpt-4\.5|gpt-5|^o[13](?!-mini)\b|^o4|claude-3|claude-.*-4"
    r"|claude-(opus|sonnet|haiku)-4|gemini|vision|[-_]vl\b|[-_]vl[-_]|qwen.*vl|glm-4v|glm-4\.\dv|llava|pixtral"
    r"|grok-.*vision|image|doubao.*vision|kimi.*vision|step-.*v)",
    re.IGNORECASE,
)
# How gateways and their upstreams word "these images are the problem" (OpenAI, Claude, Gemini, vLLM, LiteLLM).
_IMAGE_REFUSAL = re.compile(
    r"image|vision|multimodal|multi-modal|picture|media type|mime|too large|payload|request entity|"
    r"图片|图像|多模态",
    re.IGNORECASE,
)

MAX_REQUEST_IMAGES = 10  # per request, newest first; the rest become "[image]"

ImageFetcher = Callable[[str], Awaitable[bytes]]


def sees_images(model: str) -> bool:
    return bool(_VISION_CAPABLE.search(model.rsplit("/", 1)[-1]))


def refused_for_images(error: WenwenError) -> bool:
    """Whether a failed request with images failed because of them (so they must not be sent again)."""
    if error.kind == ErrorKind.TOO_LARGE or error.status == 413:
        return True
    return error.kind == ErrorKind.BAD_REQUEST and bool(_IMAGE_REFUSAL.search(error.message))


@dataclass(slots=True)
class RequestImages:
    """The images that go with one request, and where they came from."""

    by_file_id: dict[str, ImageData] = field(default_factory=dict)
    message_ids: list[int] = field(default_factory=list)  # messages whose images are in the request
    unreadable: list[int] = field(default_factory=list)  # messages with an image that is not a readable image


def _candidates(history: list[StoredMessage], keep_turns: int) -> list[StoredMessage]:
    """The question's own image messages, then the newest `keep_turns` earlier ones — newest first."""
    start = len(history)
    while start > 0 and history[start - 1].role == "user":
        start -= 1
    question = [m for m in history[start:] if m.attachments]
    earlier = [m for m in history[:start] if m.role == "user" and m.attachments]
    earlier = earlier[-keep_turns:] if keep_turns > 0 else []
    return [m for m in reversed(earlier + question) if not m.images_refused]


async def images_for(
    history: list[StoredMessage], fetch: ImageFetcher | None, keep_turns: int, limit: int = MAX_REQUEST_IMAGES
) -> RequestImages:
    """Bytes for the images a request carries, fetched again by file id (only ids are stored).

    Each is checked and, when large, downscaled before it is kept (one image in memory at a
    time at full size). An image that is no longer fetchable or not readable becomes "[image]".
    """
    found = RequestImages()
    if fetch is None:
        return found
    for message in _candidates(history, keep_turns):
        for file_id in message.attachments:
            if len(found.by_file_id) >= limit:
                return found
            try:
                data = await fetch(file_id)
            except Exception as error:  # a file Telegram no longer serves must not break the turn
                log.info("image %s could not be fetched again: %s", file_id, error)
                continue
            checked = await fit_for_model_async(data)
            del data
            if checked is None:
                log.info("image %s is not a readable image; it is left out", file_id)
                if message.id not in found.unreadable:
                    found.unreadable.append(message.id)
                continue
            found.by_file_id[file_id] = ImageData(checked.data, checked.mime)
            if message.id not in found.message_ids:
                found.message_ids.append(message.id)
    return found
