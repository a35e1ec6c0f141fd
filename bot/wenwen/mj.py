"""The Midjourney endpoints (midjourney-proxy through new-api; docs/protocols.md, "Gateway: Midjourney endpoints")."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import ErrorKind, WenwenError, error_from_response
from .http import GatewayHttp
from .mj_types import MjSubmitResult, MjTask

MODAL_DESCRIPTION = "waiting for window confirm"


class MjSubmitStatus(StrEnum):
    STARTED = "started"  # code 1 / 22 (queued, rewritten to 1 by new-api)
    MODAL = "modal"  # code 21: the task waits for /mj/submit/modal


@dataclass(frozen=True, slots=True)
class MjSubmitted:
    task_id: str
    status: MjSubmitStatus
    description: str


class MjSubmitError(WenwenError):
    """The proxy refused a submit with its own code (3, 4, 9, 23, 24 …)."""

    def __init__(self, code: int, description: str, properties: dict[str, Any] | None) -> None:
        kind = {
            4: ErrorKind.BAD_REQUEST,
            23: ErrorKind.QUEUE_FULL,
            24: ErrorKind.BANNED,
        }.get(code, ErrorKind.UPSTREAM)
        super().__init__(description or f"midjourney code {code}", code=str(code), kind=kind)
        self.mj_code = code
        self.banned_word = str((properties or {}).get("bannedWord") or "") or None
        self.retryable_override = False


def _mj_error(status: int, body: bytes, headers: Any) -> WenwenError:
    """new-api's own /mj errors: `{"description":"task_not_found ","type":"upstream_error","code":4}`."""
    error = error_from_response(status, body, headers)
    error.message = error.message.strip()
    if error.message.startswith(("task_not_found", "task_no_found")):
        error.kind = ErrorKind.NOT_FOUND
    elif error.message.startswith(("quota_not_enough",)):
        error.kind = ErrorKind.QUOTA
    return error


class MidjourneyClient:
    def __init__(self, http: GatewayHttp) -> None:
        self._http = http

    async def _submit(self, path: str, body: dict[str, Any]) -> MjSubmitted:
        # Submits start paid work: only a request that never left is sent again.
        raw, _ = await self._http.request_json(
            "POST", path, json=body, retry_server_errors=False, error_parser=_mj_error
        )
        result = MjSubmitResult.model_validate(raw)
        modal = result.code == 21 or (
            MODAL_DESCRIPTION in result.description.lower() or bool((result.properties or {}).get("remix"))
        )
        if result.code in (1, 21, 22) and result.result:
            return MjSubmitted(
                result.result, MjSubmitStatus.MODAL if modal else MjSubmitStatus.STARTED, result.description
            )
        raise MjSubmitError(result.code, result.description, result.properties)

    async def imagine(self, prompt: str, *, state: str = "", images: list[str] | None = None) -> MjSubmitted:
        body: dict[str, Any] = {"prompt": prompt, "state": state}
        if images:
            body["base64Array"] = images
        return await self._submit("/mj/submit/imagine", body)

    async def action(self, task_id: str, custom_id: str, *, state: str = "") -> MjSubmitted:
        return await self._submit(
            "/mj/submit/action", {"taskId": task_id, "customId": custom_id, "chooseSameChannel": True, "state": state}
        )

    async def modal(self, task_id: str, prompt: str) -> MjSubmitted:
        return await self._submit("/mj/submit/modal", {"taskId": task_id, "prompt": prompt})

    async def blend(self, images: list[str], dimensions: str = "SQUARE", *, state: str = "") -> MjSubmitted:
        return await self._submit("/mj/submit/blend", {"base64Array": images, "dimensions": dimensions, "state": state})

    async def describe(self, image: str, *, state: str = "") -> MjSubmitted:
        return await self._submit("/mj/submit/describe", {"base64": image, "state": state})

    async def edits(self, prompt: str, image: str, *, state: str = "") -> MjSubmitted:
        """Midjourney's editor on an uploaded image (`image`: a data URL)."""
        return await self._submit("/mj/submit/edits", {"prompt": prompt, "image": image, "state": state})

    async def swap_face(self, source: str, target: str, *, state: str = "") -> MjSubmitted:
        """The face of `source` onto `target` (data URLs); new-api's route is not under /submit."""
        return await self._submit(
            "/mj/insight-face/swap", {"sourceBase64": source, "targetBase64": target, "state": state}
        )

    async def video(self, prompt: str, image: str, motion: str, *, state: str = "") -> MjSubmitted:
        """A short video from an image (`motion`: low | high); the result arrives in `videoUrl`."""
        return await self._submit(
            "/mj/submit/video", {"prompt": prompt, "image": image, "motion": motion, "state": state}
        )

    async def list_by_ids(self, task_ids: list[str]) -> list[MjTask]:
        """All the given tasks in one request (`POST /mj/task/list-by-condition`)."""
        raw, _ = await self._http.request_json(
            "POST", "/mj/task/list-by-condition", json={"ids": task_ids}, error_parser=_mj_error
        )
        if not isinstance(raw, list):
            raise WenwenError(f"unexpected list-by-condition answer: {json.dumps(raw)[:200]}")
        return [MjTask.model_validate(item) for item in raw if isinstance(item, dict) and item.get("id")]

    async def image_seed(self, task_id: str) -> str:
        raw, _ = await self._http.request_json("GET", f"/mj/task/{task_id}/image-seed", error_parser=_mj_error)
        result = MjSubmitResult.model_validate(raw)
        if result.code != 1 or not result.result:
            raise MjSubmitError(result.code, result.description, result.properties)
        return result.result

    async def download_image(self, url: str, *, max_bytes: int = 50_000_000) -> tuple[bytes, str]:
        return await self._http.download(url, max_bytes=max_bytes)

    def image_link(self, task_id: str) -> str:
        """The gateway's own copy of a task's image (`GET /mj/image/{id}`), for when the upstream link expired."""
        return f"{str(self._http.client.base_url).rstrip('/')}/mj/image/{task_id}"
