"""Images in a conversation: which models see them, and which earlier images are sent again."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from storage import StoredMessage

from .context import ImageData

log = logging.getLogger(__name__)

# Model names that accept image parts. The gateway's model list does not say, so this is a
# name heuristic; a chat whose model is not matched uses VISION_MODEL for turns with images.
_VISION_CAPABLE = re.compile(
    r"(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4-turbo|gpt-4-vision|gpt-4\.5|gpt-5|^o[13](?!-mini)\b|^o4|claude-3|claude-.*-4"
    r"|claude-(opus|sonnet|haiku)-4|gemini|vision|[-_]vl\b|[-_]vl[-_]|qwen.*vl|glm-4v|glm-4\.\dv|llava|pixtral"
    r"|grok-.*vision|image|doubao.*vision|kimi.*vision|step-.*v)",
    re.IGNORECASE,
)

ImageFetcher = Callable[[str], Awaitable[ImageData]]


def sees_images(model: str) -> bool:
    return bool(_VISION_CAPABLE.search(model.rsplit("/", 1)[-1]))


async def images_for(
    history: list[StoredMessage],
    fresh: dict[str, ImageData],
    fetch: ImageFetcher | None,
    keep_turns: int,
) -> dict[str, ImageData]:
    """Bytes for the images of the newest `keep_turns` user messages that have images.

    The current turn's images are given (`fresh`); older ones are fetched again by file id
    (only ids are stored). Older than that, or not fetchable any more: a placeholder.
    """
    images = dict(fresh)
    with_images = [m for m in history if m.role == "user" and m.attachments]
    for message in with_images[-keep_turns:] if keep_turns > 0 else []:
        for file_id in message.attachments:
            if file_id in images or fetch is None:
                continue
            try:
                images[file_id] = await fetch(file_id)
            except Exception as error:  # a file Telegram no longer serves must not break the turn
                log.info("image %s could not be fetched again: %s", file_id, error)
    return images
