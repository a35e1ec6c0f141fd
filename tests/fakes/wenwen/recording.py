"""What the fake remembers about each request, and the per-request storage keys."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


class Headers(dict[str, str]):
    """Request headers; keys stored lower-case, lookups are case-insensitive.
    Repeated headers are joined with ``", "``."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        for key, value in items:
            lowered = key.lower()
            if dict.__contains__(self, lowered):
                dict.__setitem__(self, lowered, dict.__getitem__(self, lowered) + ", " + value)
            else:
                dict.__setitem__(self, lowered, value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: Headers
    body: bytes
    json: dict[str, Any] | None
    time: float  # time.monotonic() (== loop.time()) when the body had been read
    request_id: str = ""
    too_large: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def maybe_json(body: bytes) -> dict[str, Any] | None:
    if not body:
        return None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


REQUEST_ID_KEY = web.RequestKey("wenwen_request_id", str)
BODY_KEY = web.RequestKey("wenwen_body", bytes)
RECORDED_KEY = web.RequestKey("wenwen_recorded", RecordedRequest)
