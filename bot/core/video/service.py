"""Video on the task engine: the kind (submit, poll, fetch over the gateway's video API) and the service."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.wenwen import ErrorKind, WenwenError
from bot.wenwen.video import VideoClient, VideoRequest, VideoState, VideoStatus, VideoStyle
from bot.wenwen.video import VideoImage as VideoImage  # re-exported for handlers
from storage import ChatKey
from storage.tasks import TaskRow

from ..models import ModelCatalog
from ..tasks.engine import Fetched, Remote, RemoteState, TaskEngine
from ..tasks.events import TaskOutcome, TaskRefused
from .options import VideoOptions

log = logging.getLogger("bot.video")

VIDEO_KIND = "video"
VIDEO_MAX_BYTES = 200_000_000  # downloads are cut off past this
DOWNLOAD_DEADLINE = 300.0  # seconds for one whole download
POLLS_IN_FLIGHT = 4  # one GET per pending task, at most this many at once
FIRST_LAST_UNSUPPORTED = "first_last_unsupported"
NOT_YOURS = "not_yours"
UNKNOWN_TASK = "unknown_task"
VIDEO_ENDPOINT = "openai-video"

_REMOTE = {
    VideoState.QUEUED: RemoteState.QUEUED,
    VideoState.RUNNING: RemoteState.RUNNING,
    VideoState.DONE: RemoteState.DONE,
    VideoState.FAILED: RemoteState.FAILED,
}


def supports_first_last(model: str) -> bool:
    """Models that take a first and a last frame (veo; wenwen's menu: 首尾帧视频 (veo))."""
    return model.lower().startswith("veo")


class VideoKind:
    """The gateway's video API, as the task engine asks for it."""

    name = VIDEO_KIND

    def __init__(self, client: VideoClient, *, max_bytes: int = VIDEO_MAX_BYTES) -> None:
        self._client = client
        self._max_bytes = max_bytes

    def model_of(self, payload: dict[str, Any]) -> str:
        return str(payload.get("model") or "video")

    async def submit(self, task: TaskRow, inputs: Any) -> str:
        payload = task.payload
        images = tuple(image for image in inputs or () if isinstance(image, VideoImage))
        request = VideoRequest(
            str(payload["model"]), str(payload["prompt"]), payload.get("seconds"), payload.get("size"), images
        )
        return await self._client.submit(request, VideoStyle(payload.get("style", VideoStyle.OPENAI)))

    async def poll(self, tasks: list[TaskRow]) -> dict[int, Remote]:
        gate = asyncio.Semaphore(POLLS_IN_FLIGHT)

        async def one(task: TaskRow) -> tuple[int, Remote | None]:
            async with gate:
                try:
                    status = await self._client.status(task.gateway_id or "", _style(task))
                except WenwenError as error:
                    if error.kind == ErrorKind.NOT_FOUND or (error.status in (400, 404) and "not_exist" in str(error)):
                        return task.id, Remote(RemoteState.FAILED, reason=error.message)  # the gateway lost it
                    log.info("video poll of task %s failed (%s); again next tick", task.gateway_id, error)
                    return task.id, None
            return task.id, _remote(status)

        results = await asyncio.gather(*(one(task) for task in tasks))
        return {row_id: remote for row_id, remote in results if remote is not None}

    async def fetch(self, task: TaskRow) -> Fetched:
        data, content_type = await self._client.download(
            task.gateway_id or "", _style(task), task.result, max_bytes=self._max_bytes, deadline=DOWNLOAD_DEADLINE
        )
        if not data:
            raise WenwenError("the gateway sent an empty video")
        return Fetched(data, content_type)


def _style(task: TaskRow) -> VideoStyle:
    return VideoStyle(task.payload.get("style", VideoStyle.OPENAI))


def _remote(status: VideoStatus) -> Remote:
    return Remote(_REMOTE[status.state], status.progress, status.url, status.reason)


class VideoService:
    def __init__(self, engine: TaskEngine, catalog: ModelCatalog, default_model: str) -> None:
        self.engine = engine
        self._catalog = catalog
        self.default_model = default_model

    async def video_models(self) -> list[str]:
        """The models the gateway offers for video (`supported_endpoint_types` with openai-video)."""
        return await self._catalog.video_models()

    async def _style(self, model: str) -> VideoStyle:
        """OpenAI style unless the gateway lists the model, but not with openai-video: then the generic one."""
        try:
            endpoints = await self._catalog.endpoint_types(model)
        except WenwenError:
            endpoints = set()
        return VideoStyle.GENERIC if endpoints and VIDEO_ENDPOINT not in endpoints else VideoStyle.OPENAI

    async def start(
        self,
        chat: ChatKey,
        user_id: int,
        lang: str,
        options: VideoOptions,
        images: tuple[VideoImage, ...] = (),
        *,
        image_file_ids: tuple[str, ...] = (),
        reply_to: int | None = None,
    ) -> TaskOutcome:
        model = options.model or self.default_model
        if len(images) > 1 and not supports_first_last(model):
            return TaskRefused(FIRST_LAST_UNSUPPORTED, model)
        payload = {
            "model": model,
            "prompt": options.prompt,
            "seconds": options.seconds,
            "size": options.size,
            "style": (await self._style(model)).value,
            "images": list(image_file_ids),  # Telegram file ids, for 🔁 (never the bytes)
        }
        return await self.engine.start(chat, user_id, lang, payload, reply_to=reply_to, inputs=images)

    async def for_again(self, row_id: int, user_id: int, is_admin: bool) -> TaskRow | TaskRefused:
        """The task 🔁 makes again, if the presser may."""
        task = await self.engine.task(row_id)
        if task is None or task.kind != VIDEO_KIND:
            return TaskRefused(UNKNOWN_TASK)
        if task.user_id != user_id and not is_admin:
            return TaskRefused(NOT_YOURS)
        return task


def options_of(task: TaskRow) -> VideoOptions:
    payload = task.payload
    prompt = str(payload.get("prompt", ""))
    return VideoOptions(prompt, payload.get("model"), payload.get("seconds"), payload.get("size"))
