"""The built-in tools: `current_time` and `generate_image`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field

from bot.core.media import ImageRequest, MediaService, image_size

from .base import Tool, ToolArguments, ToolOutcome


class TimeArguments(ToolArguments):
    timezone: str = Field(default="UTC", max_length=64, description="IANA time zone, e.g. Asia/Shanghai")


class CurrentTime(Tool[TimeArguments]):
    name = "current_time"
    description = "The current date and time, in a given IANA time zone (UTC when none is given)."
    arguments = TimeArguments

    async def run(self, arguments: TimeArguments, user_id: int) -> ToolOutcome:
        name = arguments.timezone.strip() or "UTC"
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return ToolOutcome(f"error: unknown time zone {name!r}; use an IANA name like Europe/Paris")
        now = datetime.now(UTC).astimezone(zone)
        return ToolOutcome(f"{now.isoformat(timespec='seconds')} ({now.strftime('%A')}, {name})")


class ImageArguments(ToolArguments):
    prompt: str = Field(min_length=1, max_length=4000, description="What to draw, in detail")
    shape: Literal["square", "wide", "tall"] = "square"


class GenerateImage(Tool[ImageArguments]):
    name = "generate_image"
    description = (
        "Draw an image from a detailed prompt. The image is shown to the user directly; "
        "afterwards just say briefly what you drew."
    )
    arguments = ImageArguments
    makes_images = True

    def __init__(self, media: MediaService) -> None:
        self._media = media

    async def run(self, arguments: ImageArguments, user_id: int) -> ToolOutcome:
        prompt = arguments.prompt.strip()
        if not prompt:
            return ToolOutcome("error: a prompt is required")
        # The prompt goes as it is: nothing in it is read as a --flag (it is the model's text, not the user's)
        size = image_size(arguments.shape, self._media.image_model)
        images = await self._media.draw(ImageRequest(prompt, {"size": size}), user_id)
        return ToolOutcome(f"{len(images)} image(s) generated and shown to the user.", tuple(images))
