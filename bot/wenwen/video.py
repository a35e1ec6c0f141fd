"""Video generation (docs/protocols.md, "Gateway: video"): the OpenAI/Sora style and new-api's generic style.

Submits start paid work and are sent at most once (only a request that never left is retried). Statuses
are read defensively: the code's `queued|in_progress|completed|failed`, the docs' `processing|succeeded`
and the task enum (`NOT_START`, `SUBMITTED`, `QUEUED`, `IN_PROGRESS`, `SUCCESS`, `FAILURE`) all map to
one `VideoState`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import ErrorKind, WenwenError
from .http import GatewayHttp


class VideoStyle(StrEnum):
    OPENAI = "openai"  # POST /v1/videos (multipart), GET /v1/videos/{id}, GET /v1/videos/{id}/content
    GENERIC = "generic"  # POST /v1/video/generations (JSON), GET /v1/video/generations/{id}


class VideoState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


_STATES = {
    VideoState.QUEUED: {"queued", "not_start", "submitted", "pending", "queueing", "created", ""},
    VideoState.RUNNING: {"in_progress", "processing", "running", "generating", "started"},
    VideoState.DONE: {"completed", "succeeded", "success", "succeed", "done", "finished"},
    VideoState.FAILED: {"failed", "failure", "error", "cancelled", "canceled", "expired", "unknown_error"},
}
_PERCENT = re.compile(r"\s*(\d{1,3})")


@dataclass(frozen=True, slots=True)
class VideoImage:
    data: bytes
    mime: str  # image/jpeg, image/png, …

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode()}"


@dataclass(frozen=True, slots=True)
class VideoRequest:
    model: str
    prompt: str
    seconds: int | None = None
    size: str | None = None  # "WxH"
    images: tuple[VideoImage, ...] = ()  # one: image to video; two: first and last frame


@dataclass(frozen=True, slots=True)
class VideoStatus:
    state: VideoState
    progress: int | None = None
    url: str = ""  # where the finished video is (generic style); "" when served by id
    reason: str = ""


def parse_state(value: Any) -> VideoState:
    """Any of the spellings; an unknown one counts as still running (it never ends a task by itself)."""
    text = str(value or "").strip().lower()
    return next((state for state, names in _STATES.items() if text in names), VideoState.RUNNING)


def parse_progress(value: Any) -> int | None:
    """An int (OpenAI style) or "NN%" (the task DTO); anything else is no news."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return max(0, min(100, int(value)))
    match = _PERCENT.match(str(value or ""))
    return max(0, min(100, int(match.group(1)))) if match else None


def _reason(body: dict[str, Any]) -> str:
    error = body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or "")
    return str(body.get("fail_reason") or body.get("failReason") or error or "").strip()


def _url(body: dict[str, Any]) -> str:
    for key in ("result_url", "url", "video_url"):
        if isinstance(body.get(key), str) and body[key]:
            return str(body[key])
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        if isinstance(metadata.get("url"), str) and metadata["url"]:
            return str(metadata["url"])
        urls = metadata.get("urls")
        if isinstance(urls, list) and urls and isinstance(urls[0], str):
            return urls[0]
    output = body.get("output")
    if isinstance(output, list) and output and isinstance(output[0], dict):
        return str(output[0].get("url") or "")
    return ""


def status_of(raw: Any) -> VideoStatus:
    """A status from either style's answer: the video object, `{"code","data":{TaskDto}}` or the simplified shape."""
    if not isinstance(raw, dict):
        raise WenwenError(f"unexpected video status answer: {json.dumps(raw)[:200]}")
    body = raw["data"] if isinstance(raw.get("data"), dict) else raw
    state = parse_state(body.get("status"))
    reason = _reason(body) if state == VideoState.FAILED else ""
    return VideoStatus(state, parse_progress(body.get("progress")), _url(body), reason)


def _task_id(raw: Any) -> str:
    body = raw.get("data") if isinstance(raw, dict) and isinstance(raw.get("data"), dict) else raw
    if isinstance(body, dict):
        for key in ("id", "task_id"):
            if body.get(key):
                return str(body[key])
    raise WenwenError(f"the video submit answered no task id: {json.dumps(raw)[:200]}")


class VideoClient:
    def __init__(self, http: GatewayHttp) -> None:
        self._http = http

    async def submit(self, request: VideoRequest, style: VideoStyle) -> str:
        """Start the video once; the gateway's task id."""
        if style == VideoStyle.OPENAI:
            raw, _ = await self._http.request_json(
                "POST", "/v1/videos", files=_multipart(request), retry_server_errors=False
            )
        else:
            raw, _ = await self._http.request_json(
                "POST", "/v1/video/generations", json=_generic_body(request), retry_server_errors=False
            )
        return _task_id(raw)

    async def status(self, task_id: str, style: VideoStyle) -> VideoStatus:
        path = f"/v1/videos/{task_id}" if style == VideoStyle.OPENAI else f"/v1/video/generations/{task_id}"
        raw, _ = await self._http.request_json("GET", path)
        return status_of(raw)

    async def download(
        self, task_id: str, style: VideoStyle, url: str, *, max_bytes: int, deadline: float
    ) -> tuple[bytes, str]:
        """The finished video: by id (OpenAI style) or from its URL (not the gateway's: the public-fetch guard)."""
        if style == VideoStyle.OPENAI or not url:
            url = f"{str(self._http.client.base_url).rstrip('/')}/v1/videos/{task_id}/content"
        try:
            async with asyncio.timeout(deadline):
                return await self._http.download(url, max_bytes=max_bytes, deadline=deadline)
        except TimeoutError:
            message = f"the video download took longer than {int(deadline)} s"
            raise WenwenError(message, kind=ErrorKind.NETWORK) from None


def _multipart(request: VideoRequest) -> list[tuple[str, tuple[str | None, Any] | tuple[str, bytes, str]]]:
    """Always multipart, even without a file: values are parts without a file name (Go reads them as form values)."""
    values = {"model": request.model, "prompt": request.prompt}
    if request.seconds is not None:
        values["seconds"] = str(request.seconds)
    if request.size:
        values["size"] = request.size
    parts: list[tuple[str, tuple[str | None, Any] | tuple[str, bytes, str]]] = [
        (name, (None, value)) for name, value in values.items()
    ]
    for number, image in enumerate(request.images):
        name = f"frame{number + 1}.{image.mime.rsplit('/', 1)[-1]}"
        parts.append(("input_reference", (name, image.data, image.mime)))
    return parts


def _generic_body(request: VideoRequest) -> dict[str, Any]:
    body: dict[str, Any] = {"model": request.model, "prompt": request.prompt}
    if request.seconds is not None:
        body["duration"] = request.seconds
    if request.size:
        width, _, height = request.size.partition("x")
        body["width"], body["height"] = int(width), int(height)
    if request.images:
        body["image"] = request.images[0].data_url()
    if len(request.images) > 1:
        body["metadata"] = {"last_frame": request.images[1].data_url()}
    return body
