"""What the task engine reports to whoever renders it. Plain values, no Telegram types."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.limits import LimitReached
from bot.wenwen import ErrorKind, WenwenError
from storage.tasks import TaskRow


@dataclass(frozen=True, slots=True)
class TaskStarted:
    task: TaskRow


@dataclass(frozen=True, slots=True)
class TaskRefused:
    """The submit did nothing (the gateway refused it, or the request cannot be made); `kind` says why."""

    kind: ErrorKind | str
    message: str = ""
    request_id: str | None = None
    error: WenwenError | None = None  # the gateway's refusal itself, for what a kind reads off it


@dataclass(frozen=True, slots=True)
class TaskWaiting:
    """The task waits for the user's input (Midjourney's MODAL): ask them; the kind sends the answer on."""

    task: TaskRow


@dataclass(frozen=True, slots=True)
class TaskLimited:
    """The user is over a daily limit: nothing was submitted."""

    reached: LimitReached


@dataclass(frozen=True, slots=True)
class TaskProgress:
    task: TaskRow
    percent: int


@dataclass(frozen=True, slots=True)
class TaskFinished:
    task: TaskRow
    data: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class TaskFailed:
    task: TaskRow
    reason: str
    timed_out: bool = False
    undeliverable: bool = False  # finished, but the result could not be fetched or sent
    fate_unknown: bool = False  # a restart cut its submit off: it may run at the gateway, unseen


TaskOutcome = TaskStarted | TaskWaiting | TaskRefused | TaskLimited
TaskEvent = TaskProgress | TaskWaiting | TaskFinished | TaskFailed
