"""Midjourney's poll on the task engine: one list-by-condition call per tick for every pending task.

`MjPoller` holds the engine with Midjourney's kind (`kind.py`) and turns the engine's events into
Midjourney's (`events.py`): progress with the first grid preview, the prompt question of a MODAL task,
the result with its buttons, the failure.
"""

from __future__ import annotations

import logging

from bot.wenwen import WenwenError
from bot.wenwen.mj import MidjourneyClient
from storage import MjTaskRepository, MjTaskRow
from storage.mj import mj_task

from ..limits import DailyLimits
from ..sizes import PHOTO_LIMIT
from ..tasks.engine import TaskEngine
from ..tasks.events import TaskEvent, TaskFailed, TaskFinished, TaskProgress, TaskWaiting
from .buttons import parse_describe_prompts
from .events import MjFailed, MjFinished, MjNeedsPrompt, MjPollEvent, MjProgress
from .kind import MjKind

log = logging.getLogger("bot.mj")


class MjPoller:
    def __init__(
        self,
        client: MidjourneyClient,
        tasks: MjTaskRepository,
        *,
        timeout: float,
        progress_interval: float,
        limits: DailyLimits | None = None,
    ) -> None:
        self._client = client
        self._tasks = tasks
        self.engine = TaskEngine(
            MjKind(client, tasks), tasks.tasks, timeout=timeout, progress_interval=progress_interval, limits=limits
        )

    async def recover(self) -> int:
        """After a restart: a submit that was in flight is never sent again; half deliveries are redone."""
        return await self.engine.recover()

    async def tick(self) -> list[MjPollEvent]:
        return [await self._event(event) for event in await self.engine.tick()]

    async def _event(self, event: TaskEvent) -> MjPollEvent:
        task = mj_task(event.task)
        if isinstance(event, TaskProgress):
            return MjProgress(task, event.percent, await self._first_preview(task))
        if isinstance(event, TaskWaiting):
            return MjNeedsPrompt(task)
        if isinstance(event, TaskFinished):
            return await self._finished(task, event)
        assert isinstance(event, TaskFailed)
        return MjFailed(task, event.reason, event.timed_out, event.undeliverable, event.fate_unknown)

    async def _first_preview(self, task: MjTaskRow) -> bytes | None:
        """The grid preview, once: the progress message becomes a photo whose caption keeps updating."""
        if not task.image_url or task.progress_is_photo or task.progress_message_id is None:
            return None
        try:
            image, _ = await self._client.download_image(task.image_url, max_bytes=PHOTO_LIMIT)
        except WenwenError as error:
            log.info("mj preview of task %s not available: %s", task.task_id, error)
            return None
        return image

    async def _finished(self, task: MjTaskRow, event: TaskFinished) -> MjFinished:
        data = event.data or None
        video, image = (data, None) if task.video_url else (None, data)
        prompts = parse_describe_prompts(task.final_prompt) if task.action == "DESCRIBE" else []
        content_type = event.content_type if data else ""
        return MjFinished(task, image, content_type, await self._tasks.buttons(task.id), prompts, video)

    async def delivered(self, task: MjTaskRow, message_id: int | None) -> None:
        row = await self.engine.task(task.id)
        if row is not None:  # (gone: the user had it forgotten meanwhile)
            await self.engine.delivered(row, message_id)

    async def delivery_failed(self, task: MjTaskRow, *, give_up: bool, reason: str = "") -> None:
        """Telegram refused the result: try again next tick, a bounded number of times, then tell the user.

        `give_up`: it never can succeed (the bot is blocked): closed at once, nobody to tell.
        """
        row = await self.engine.task(task.id)
        if row is not None:
            await self.engine.delivery_failed(row, give_up=give_up, reason=reason)
