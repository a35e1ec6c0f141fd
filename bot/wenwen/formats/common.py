"""Small pieces the format converters share."""

from __future__ import annotations

import json
from typing import Any

from ..errors import WenwenStreamError


def load(data: str, request_id: str | None) -> dict[str, Any] | None:
    """A stream frame's JSON object; None for frames that are not JSON objects (ignored)."""
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def split_data_url(url: str) -> tuple[str, str] | None:
    """(media type, base64 data) of a data URL."""
    if not url.startswith("data:") or ";base64," not in url:
        return None
    head, data = url[5:].split(";base64,", 1)
    return head or "image/jpeg", data


def text_of(content: str | list[dict[str, Any]]) -> str:
    if isinstance(content, str):
        return content
    return "\n\n".join(part.get("text", "") for part in content if part.get("type") == "text")


def malformed(request_id: str | None) -> WenwenStreamError:
    return WenwenStreamError("the gateway sent a malformed stream frame", request_id=request_id)
