"""The built-in tools: `current_time` and `generate_image`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.media import ImageRequest, MediaService, parse_image_flags

from .base import ToolOutcome


class CurrentTime:
    name = "current_time"
    description = "The current date and time, in a given IANA time zone (UTC when none is given)."
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"timezone": {"type": "string", "description": "IANA time zone, e.g. Asia/Shanghai"}},
        "required": [],
    }

    async def run(self, arguments: dict[str, Any]) -> ToolOutcome:
        name = str(arguments.get("timezone") or "UTC")
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return ToolOutcome(f"error: unknown time zone {name!r}; use an IANA name like Europe/Paris")
        now = datetime.now(UTC).astimezone(zone)
        return ToolOutcome(f"{now.isoformat(timespec='seconds')} ({now.strftime('%A')}, {name})")


class GenerateImage:
    name = "generate_image"
    description = (
        "Draw an image from a detailed prompt. The image is shown to the user directly; "
        "afterwards just say briefly what you drew."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "prompt": {"type": "string", "description": "What to draw, in detail"},
            "shape": {"type": "string", "enum": ["square", "wide", "tall"]},
        },
        "required": ["prompt"],
    }

    def __init__(self, media: MediaService) -> None:
        self._media = media

    async def run(self, arguments: dict[str, Any]) -> ToolOutcome:
        prompt = str(arguments.get("prompt") or "").strip()
        if not prompt:
            return ToolOutcome("error: a prompt is required")
        shape = str(arguments.get("shape") or "square")
        request = parse_image_flags(f"{prompt} --{shape}", self._media.image_model)
        images = await self._media.draw(ImageRequest(request.prompt, request.options))
        return ToolOutcome(f"{len(images)} image(s) generated and shown to the user.", tuple(images))
