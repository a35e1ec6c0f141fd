"""One poller for the whole process: all pending tasks in one list-by-condition call per tick."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from bot.wenwen import WenwenError
from bot.wenwen.mj import MidjourneyClient
from bot.wenwen.mj_types import MjTask
from storage import MjStatus, MjTaskRepository, MjTaskRow

from ..limits import DailyLimits
from ..sizes import PHOTO_LIMIT
from .buttons import DESCRIBE_PREFIX, FILE, SEED, is_upscale_result, parse_describe_prompts, usable
from .events import MjFailed, MjFinished, MjNeedsPrompt, MjPollEvent, MjProgress
from .media import result_image, result_video
from .service import mj_model

log = logging.getLogger("bot.mj")

# Upstream statuses (docs/protocols.md, "Gateway: Midjourney task objects"); "" means new-api has not polled it yet.
_RUNNING = {"IN_PROGRESS"}
_DONE = {"SUCCESS"}
_FAILED = {"FAILURE", "CANCEL"}
_NO_SEED = ("VIDEO", "SWAP_FACE")  # not Discord images: /mj/task/{id}/image-seed has nothing for them
MAX_DELIVERY_ATTEMPTS = 5  # then the user is told the result could not be sent
UNDELIVERABLE = "undeliverable:"
FATE_UNKNOWN = "fate unknown: a restart cut the submit off"


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
        self._limits = limits
        self._timeout = timeout
        self._progress_interval = progress_interval

    async def recover(self) -> int:
        """After a restart: a submit that was in flight is never sent again; half deliveries are redone."""
        for task in await self._tasks.with_status(MjStatus.SUBMITTING):
            await self._tasks.update(task.id, status=MjStatus.FAILED, fail_reason=FATE_UNKNOWN)
            if self._limits is not None:  # its fate cannot be known: it does not count against the user
                day = datetime.fromtimestamp(task.created_at, UTC).date()
                await self._limits.give_back(task.user_id, mj_model(task.action), images=1, day=day)
        for task in await self._tasks.with_status(MjStatus.DELIVERING):
            await self._tasks.update(task.id, status=MjStatus.SUCCEEDED)
        return len(await self._tasks.with_status(MjStatus.SUBMITTED, MjStatus.RUNNING))

    async def tick(self) -> list[MjPollEvent]:
        events: list[MjPollEvent] = []
        pending = await self._tasks.with_status(MjStatus.SUBMITTED, MjStatus.RUNNING)
        if pending:
            events.extend(await self._poll(pending))
        # Results and failures not yet in the chat (this tick's, or left by a crash) are delivered once.
        for task in await self._tasks.with_status(MjStatus.SUCCEEDED):
            if await self._tasks.claim(task.id, (MjStatus.SUCCEEDED,), MjStatus.DELIVERING):
                events.append(await self._finished(task))
        for task in await self._tasks.with_status(MjStatus.FAILED):
            if await self._tasks.claim(task.id, (MjStatus.FAILED,), MjStatus.CLOSED):
                timed_out = task.fail_reason.startswith("timeout")
                undeliverable = task.fail_reason.startswith(UNDELIVERABLE)
                reason = task.fail_reason.removeprefix("timeout:").removeprefix(UNDELIVERABLE)
                events.append(MjFailed(task, reason, timed_out, undeliverable, task.fail_reason == FATE_UNKNOWN))
        return events

    async def _poll(self, pending: list[MjTaskRow]) -> list[MjPollEvent]:
        by_task_id = {task.task_id: task for task in pending if task.task_id}
        try:
            remote = await self._client.list_by_ids(list(by_task_id))
        except WenwenError as error:
            log.warning("mj poll failed (%s); trying again next tick", error)
            remote = []
        events: list[MjPollEvent] = []
        for upstream in _latest_per_task(remote):
            task = by_task_id.get(upstream.id)
            if task is None:
                continue
            event = await self._apply(task, upstream)
            if event is not None:
                events.append(event)
        now = time.time()
        for task in pending:
            if now - task.created_at > self._timeout and await self._tasks.claim(
                task.id, (MjStatus.SUBMITTED, MjStatus.RUNNING), MjStatus.FAILED
            ):
                await self._tasks.update(task.id, fail_reason=f"timeout:{int(self._timeout)}")
        return events

    async def _apply(self, task: MjTaskRow, upstream: MjTask) -> MjPollEvent | None:
        status = (upstream.status or "").upper()
        action = (upstream.action or task.action).upper()
        if status in _DONE:
            await self._tasks.update(
                task.id,
                status=MjStatus.SUCCEEDED,
                progress=100,
                image_url=upstream.imageUrl or "",
                video_url=upstream.video_url,
                final_prompt=upstream.final_prompt or upstream.promptEn or task.prompt,
                action=action,
            )
            await self._store_buttons(task.id, upstream, action)
            return None  # delivered by tick() right after, through the claim
        if status in _FAILED:
            await self._tasks.update(
                task.id, status=MjStatus.FAILED, fail_reason=(upstream.failReason or status)[:500], action=action
            )
            return None
        if status == "MODAL":
            if task.modal_message_id is not None:
                return None  # the prompt was given; new-api may still show the old MODAL row (see below)
            if await self._tasks.claim(task.id, (MjStatus.SUBMITTED, MjStatus.RUNNING), MjStatus.MODAL):
                refreshed = await self._tasks.get(task.id)
                return MjNeedsPrompt(refreshed) if refreshed else None
            return None
        percent = upstream.percent
        new_status = MjStatus.RUNNING if status in _RUNNING else MjStatus.SUBMITTED
        changed = new_status != task.status or (percent is not None and percent != task.progress)
        if not changed:
            return None
        await self._tasks.update(
            task.id, status=new_status, progress=percent or 0, image_url=upstream.imageUrl or "", action=action
        )
        if time.time() - task.shown_at < self._progress_interval:
            return None  # the chat sees progress at most once per interval
        await self._tasks.update(task.id, shown_at=time.time())
        refreshed = await self._tasks.get(task.id)
        if refreshed is None:
            return None
        return MjProgress(refreshed, percent, await self._first_preview(refreshed))

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

    async def _store_buttons(self, row_id: int, upstream: MjTask, action: str) -> None:
        buttons = [(b.customId or "", b.label or "", b.emoji or "") for b in upstream.buttons or [] if usable(b)]
        if action == "DESCRIBE":
            prompts = parse_describe_prompts(upstream.final_prompt)
            buttons = [(f"{DESCRIBE_PREFIX}{i}", str(i + 1), "🎨") for i in range(len(prompts))]
        elif action not in _NO_SEED:
            buttons.append((SEED, "", "🌱"))
            if is_upscale_result(action):
                buttons.append((FILE, "", "📄"))
        await self._tasks.set_buttons(row_id, buttons)

    async def _finished(self, task: MjTaskRow) -> MjFinished:
        image: bytes | None = None
        video: bytes | None = None
        content_type = ""
        try:
            if task.video_url:
                video, content_type = await result_video(self._client, task)
            elif task.image_url:
                image, content_type = await result_image(self._client, task)
        except WenwenError as error:
            log.warning("mj result of task %s could not be downloaded: %s", task.task_id, error)
        prompts = parse_describe_prompts(task.final_prompt) if task.action == "DESCRIBE" else []
        return MjFinished(task, image, content_type, await self._tasks.buttons(task.id), prompts, video)

    async def delivered(self, task: MjTaskRow, message_id: int | None) -> None:
        await self._tasks.update(task.id, status=MjStatus.DELIVERED, result_message_id=message_id)

    async def delivery_failed(self, task: MjTaskRow, *, give_up: bool, reason: str = "") -> None:
        """Telegram refused the result: try again next tick, a bounded number of times, then tell the user.

        `give_up`: it never can succeed (the bot is blocked): closed at once, nobody to tell.
        """
        if give_up:
            await self._tasks.update(task.id, status=MjStatus.CLOSED)
            return
        attempts = task.delivery_attempts + 1
        if attempts >= MAX_DELIVERY_ATTEMPTS:
            log.warning("mj result of task %s could not be sent %d times; telling the user", task.task_id, attempts)
            await self._tasks.update(
                task.id,
                status=MjStatus.FAILED,
                delivery_attempts=attempts,
                fail_reason=f"{UNDELIVERABLE}{reason}"[:500],
            )
            return
        await self._tasks.update(task.id, status=MjStatus.SUCCEEDED, delivery_attempts=attempts)


_STAGE = {"MODAL": 0, "": 1, "NOT_START": 1, "SUBMITTED": 2, "IN_PROGRESS": 3, "SUCCESS": 4, "FAILURE": 4, "CANCEL": 4}


def _latest_per_task(remote: list[MjTask]) -> list[MjTask]:
    """One entry per id, the furthest along.

    After /mj/submit/modal new-api inserts a second row with the same id; list-by-condition can
    return both, and the first one stays MODAL.
    """
    best: dict[str, MjTask] = {}
    for task in remote:
        current = best.get(task.id)
        if current is None or _STAGE.get((task.status or "").upper(), 1) >= _STAGE.get(
            (current.status or "").upper(), 1
        ):
            best[task.id] = task
    return list(best.values())
