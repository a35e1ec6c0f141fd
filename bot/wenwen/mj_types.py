"""Midjourney-proxy wire types as new-api relays them (docs/protocols.md, "Gateway: Midjourney task objects")."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_PERCENT = re.compile(r"\s*(\d{1,3})\s*%")


class MjButton(BaseModel):
    model_config = ConfigDict(extra="ignore")

    customId: str | None = None
    emoji: str | None = ""
    label: str | None = ""
    type: Any = None
    style: Any = None


class MjSubmitResult(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: int
    description: str = ""
    result: str | None = None
    properties: dict[str, Any] | None = None

    @field_validator("result", mode="before")
    @classmethod
    def _id_as_string(cls, value: Any) -> str | None:
        # new-api sends a string; its docs show a number. Accept both.
        return None if value in (None, "") else str(value)


class MjTask(BaseModel):
    """`dto.MidjourneyDto`: every key is always present, most may be empty."""

    model_config = ConfigDict(extra="ignore")

    id: str
    action: str | None = ""
    prompt: str | None = ""
    promptEn: str | None = ""
    description: str | None = ""
    state: str | None = ""
    submitTime: int | None = 0
    startTime: int | None = 0
    finishTime: int | None = 0
    imageUrl: str | None = ""
    videoUrl: str | None = ""
    videoUrls: list[Any] | None = None
    status: str | None = ""
    progress: str | None = ""
    failReason: str | None = ""
    buttons: list[MjButton] | None = None
    properties: dict[str, Any] | None = Field(default=None)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_string(cls, value: Any) -> str:
        return str(value)

    @property
    def percent(self) -> int | None:
        """The progress as a number; the upstream may put any text there."""
        match = _PERCENT.match(self.progress or "")
        return min(int(match.group(1)), 100) if match else None

    @property
    def video_url(self) -> str:
        """An MJ video task's result: `videoUrl`, else the first of `videoUrls` (`[{url}]`, or plain strings)."""
        if self.videoUrl:
            return self.videoUrl
        for item in self.videoUrls or []:
            url = item.get("url") if isinstance(item, dict) else item
            if isinstance(url, str) and url:
                return url
        return ""

    @property
    def final_prompt(self) -> str:
        return str((self.properties or {}).get("finalPrompt") or "")
