"""One engine per kind of long-running job: submit once, poll in batches, deliver once, resume after a restart.

A kind (`TaskKind`) knows its gateway API: how to submit a row, how to ask about many rows at once (as
its API allows), and how to fetch a finished row's result. The engine owns the life cycle
(docs/architecture.md, "The task engine"):

- **start**: reserve against the daily limits, write the row as SUBMITTING, one submit (only a request
  that never left is retried), the gateway's id written at once, shielded from cancellation;
- **tick** (the JobQueue drives it): one `poll` for every SUBMITTED/RUNNING row, progress at most once
  per `progress_interval`, a row older than `timeout` fails; SUCCEEDED rows are claimed (DELIVERING)
  and their result fetched; FAILED rows are claimed (CLOSED) and told;
- **recover** (at start): SUBMITTING rows fail as "fate unknown" and do not count against the limits
  (never submitted twice); DELIVERING rows go back to SUCCEEDED.

A kind whose task can wait for the user (Midjourney's MODAL) answers `Submitted(id, waiting=True)` or a
`WAITING` remote: the row is MODAL, not polled, and `TaskWaiting` says to ask; the kind's own code sends
the answer and puts the row back to SUBMITTED.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from bot.wenwen import WenwenError
from storage import ChatKey
from storage.tasks import TaskRepository, TaskRow, TaskState

from ..limits import DailyLimits
from .events import (
    TaskEvent,
    TaskFailed,
    TaskFinished,
    TaskLimited,
    TaskOutcome,
    TaskProgress,
    TaskRefused,
    TaskStarted,
    TaskWaiting,
)

log = logging.getLogger("bot.tasks")

MAX_DELIVERY_ATTEMPTS = 5  # then the user is told the result could not be sent
FATE_UNKNOWN = "fate unknown: a restart cut the submit off"
TIMEOUT = "timeout:"
UNDELIVERABLE = "undeliverable:"
POLLED = (TaskState.SUBMITTED, TaskState.RUNNING)


class RemoteState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    WAITING = "waiting"  # for the user's input (Midjourney's MODAL): the row is MODAL and not polled meanwhile


@dataclass(frozen=True, slots=True)
class Remote:
    """What the gateway says about one task, in the engine's words."""

    state: RemoteState
    progress: int | None = None
    result: str = ""  # where the result is (a URL), or "" when the kind fetches it by id
    reason: str = ""  # the gateway's reason for a failure
    payload: dict[str, Any] | None = None  # what the kind learned, written into the row's payload with the news


@dataclass(frozen=True, slots=True)
class Submitted:
    """A submit's answer when it is more than an id: the task may wait for the user's input at once."""

    gateway_id: str
    waiting: bool = False


@dataclass(frozen=True, slots=True)
class Fetched:
    data: bytes
    content_type: str


class TaskKind(Protocol):
    """A kind of job and its gateway API."""

    name: str

    def model_of(self, payload: dict[str, Any]) -> str:
        """The model name a task with this payload is counted under for the daily limits."""
        ...

    async def submit(self, task: TaskRow, inputs: Any) -> str | Submitted:
        """Start the job once; the gateway's id. Raises WenwenError when refused.

        `inputs` is what `start` was given beside the payload (uploads): held in memory only, since a
        submit is never made again after a restart."""
        ...

    async def poll(self, tasks: list[TaskRow]) -> dict[int, Remote]:
        """The news about the tasks, by row id (a task left out has no news this time)."""
        ...

    async def fetch(self, task: TaskRow) -> Fetched:
        """The finished task's result. Raises WenwenError when it cannot be had."""
        ...


class TaskEngine:
    def __init__(
        self,
        kind: TaskKind,
        tasks: TaskRepository,
        *,
        timeout: float,
        progress_interval: float,
        limits: DailyLimits | None = None,
    ) -> None:
        self.kind = kind
        self._tasks = tasks
        self._timeout = timeout
        self._progress_interval = progress_interval
        self._limits = limits

    @property
    def timeout(self) -> float:
        return self._timeout

    async def start(
        self,
        chat: ChatKey,
        user_id: int,
        lang: str,
        payload: dict[str, Any],
        *,
        reply_to: int | None = None,
        parent_id: int | None = None,
        inputs: Any = None,
    ) -> TaskOutcome:
        """Charge, row, then one submit: after a crash the row shows the call may have gone out."""
        model = self.kind.model_of(payload)
        if self._limits is not None:
            reached = await self._limits.reserve(user_id, model, images=1)
            if reached is not None:
                return TaskLimited(reached)
        row_id = await self._tasks.create(
            self.kind.name, chat, user_id, lang, payload, reply_to=reply_to, parent_id=parent_id
        )
        task = await self._tasks.get(row_id)
        assert task is not None
        try:
            answer = await self.kind.submit(task, inputs)
        except WenwenError as error:
            if self._limits is not None:  # refused: nothing was made
                await self._limits.give_back(user_id, model, images=1)
            await self._tasks.update(row_id, state=TaskState.CLOSED, fail_reason=error.message[:500])
            log.info("%s task %d refused: %s", self.kind.name, row_id, error)
            return TaskRefused(error.kind, error.message, error.request_id, error)
        submitted = answer if isinstance(answer, Submitted) else Submitted(answer)
        state = TaskState.MODAL if submitted.waiting else TaskState.SUBMITTED
        # Written before anything else is awaited, and by a cancelled handler too: the window in which a
        # crash loses a paid task is the submit's own round trip.
        await asyncio.shield(self._tasks.update(row_id, gateway_id=submitted.gateway_id, state=state))
        started = await self._tasks.get(row_id)
        assert started is not None
        log.info("%s task submitted id=%s row=%d chat=%s", self.kind.name, submitted.gateway_id, row_id, chat.chat_id)
        return TaskWaiting(started) if submitted.waiting else TaskStarted(started)

    async def recover(self) -> int:
        """After a restart: a submit that was in flight is never sent again; half deliveries are redone."""
        for task in await self._tasks.with_state(self.kind.name, TaskState.SUBMITTING):
            await self._tasks.update(task.id, state=TaskState.FAILED, fail_reason=FATE_UNKNOWN)
            if self._limits is not None:  # its fate cannot be known: it does not count against the user
                day = datetime.fromtimestamp(task.created_at, UTC).date()
                await self._limits.give_back(task.user_id, self.kind.model_of(task.payload), images=1, day=day)
        for task in await self._tasks.with_state(self.kind.name, TaskState.DELIVERING):
            await self._tasks.update(task.id, state=TaskState.SUCCEEDED)
        return len(await self._tasks.with_state(self.kind.name, *POLLED))

    async def tick(self) -> list[TaskEvent]:
        events: list[TaskEvent] = []
        pending = await self._tasks.with_state(self.kind.name, *POLLED)
        if pending:
            events.extend(await self._poll(pending))
        # Results and failures not yet in the chat (this tick's, or left by a crash) are delivered once.
        for task in await self._tasks.with_state(self.kind.name, TaskState.SUCCEEDED):
            if await self._tasks.claim(task.id, (TaskState.SUCCEEDED,), TaskState.DELIVERING):
                finished = await self._fetch(task)
                if finished is not None:
                    events.append(finished)
        for task in await self._tasks.with_state(self.kind.name, TaskState.FAILED):
            if await self._tasks.claim(task.id, (TaskState.FAILED,), TaskState.CLOSED):
                events.append(_failure(task))
        return events

    async def _poll(self, pending: list[TaskRow]) -> list[TaskEvent]:
        try:
            news = await self.kind.poll(pending)
        except WenwenError as error:
            log.warning("%s poll failed (%s); trying again next tick", self.kind.name, error)
            news = {}
        events: list[TaskEvent] = []
        now = time.time()
        for task in pending:
            remote = news.get(task.id)
            if remote is not None:
                event = await self._apply(task, remote)
                if event is not None:
                    events.append(event)
            elif now - task.created_at > self._timeout and await self._tasks.claim(task.id, POLLED, TaskState.FAILED):
                await self._tasks.update(task.id, fail_reason=f"{TIMEOUT}{int(self._timeout)}")
        return events

    async def _apply(self, task: TaskRow, remote: Remote) -> TaskEvent | None:
        merge = remote.payload or None
        if remote.state == RemoteState.DONE:
            await self._tasks.update(
                task.id, merge=merge, state=TaskState.SUCCEEDED, progress=100, result=remote.result
            )
            return None  # delivered by tick() right after, through the claim
        if remote.state == RemoteState.FAILED:
            reason = (remote.reason or "failed")[:500]
            await self._tasks.update(task.id, merge=merge, state=TaskState.FAILED, fail_reason=reason)
            return None
        if remote.state == RemoteState.WAITING:
            if not await self._tasks.claim(task.id, POLLED, TaskState.MODAL):
                return None
            waiting = await self._tasks.get(task.id)
            return TaskWaiting(waiting) if waiting is not None else None
        if time.time() - task.created_at > self._timeout:
            if await self._tasks.claim(task.id, POLLED, TaskState.FAILED):
                await self._tasks.update(task.id, fail_reason=f"{TIMEOUT}{int(self._timeout)}")
            return None
        state = TaskState.RUNNING if remote.state == RemoteState.RUNNING else TaskState.SUBMITTED
        percent = task.progress if remote.progress is None else max(0, min(100, remote.progress))
        if state == task.state and percent == task.progress:
            return None
        await self._tasks.update(task.id, merge=merge, state=state, progress=percent)
        if time.time() - task.shown_at < self._progress_interval:
            return None  # the chat sees progress at most once per interval
        await self._tasks.update(task.id, shown_at=time.time())
        refreshed = await self._tasks.get(task.id)
        return TaskProgress(refreshed, percent) if refreshed is not None else None

    async def _fetch(self, task: TaskRow) -> TaskFinished | None:
        try:
            fetched = await self.kind.fetch(task)
        except WenwenError as error:
            log.warning("%s result of task %s could not be fetched: %s", self.kind.name, task.gateway_id, error)
            await self.delivery_failed(task, give_up=False, reason=error.message)
            return None
        return TaskFinished(task, fetched.data, fetched.content_type)

    async def progress_message_sent(self, task: TaskRow, message_id: int) -> None:
        await self._tasks.update(task.id, progress_message_id=message_id)

    async def delivered(self, task: TaskRow, message_id: int | None) -> None:
        await self._tasks.update(task.id, state=TaskState.DELIVERED, result_message_id=message_id)

    async def delivery_failed(self, task: TaskRow, *, give_up: bool, reason: str = "") -> None:
        """The result could not be fetched or sent: again next tick, a bounded number of times, then told.

        `give_up`: it never can succeed (the bot is blocked): closed at once, nobody to tell.
        """
        if give_up:
            await self._tasks.update(task.id, state=TaskState.CLOSED)
            return
        attempts = task.attempts + 1
        if attempts >= MAX_DELIVERY_ATTEMPTS:
            log.warning("%s result of task %s failed %d times; telling the user", self.kind.name, task.id, attempts)
            await self._tasks.update(
                task.id, state=TaskState.FAILED, attempts=attempts, fail_reason=f"{UNDELIVERABLE}{reason}"[:500]
            )
            return
        await self._tasks.update(task.id, state=TaskState.SUCCEEDED, attempts=attempts)

    async def task(self, row_id: int) -> TaskRow | None:
        return await self._tasks.get(row_id)

    async def counts(self) -> dict[TaskState, int]:
        return await self._tasks.count_by_state(self.kind.name)


def _failure(task: TaskRow) -> TaskFailed:
    reason = task.fail_reason.removeprefix(TIMEOUT).removeprefix(UNDELIVERABLE)
    return TaskFailed(
        task,
        reason,
        timed_out=task.fail_reason.startswith(TIMEOUT),
        undeliverable=task.fail_reason.startswith(UNDELIVERABLE),
        fate_unknown=task.fail_reason == FATE_UNKNOWN,
    )
