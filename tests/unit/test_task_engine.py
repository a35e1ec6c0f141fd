"""The task engine's life cycle over a real database, with a scripted kind in place of a gateway API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.limits import DailyLimits
from bot.core.tasks.engine import Fetched, Remote, RemoteState, TaskEngine
from bot.core.tasks.events import TaskFailed, TaskFinished, TaskLimited, TaskProgress, TaskRefused, TaskStarted
from bot.wenwen import WenwenError
from storage import ChatKey, DayTotals, Storage
from storage.tasks import TaskRepository, TaskRow, TaskState

CHAT = ChatKey(1001)


class ScriptedKind:
    name = "scripted"

    def __init__(self) -> None:
        self.submits: list[dict[str, Any]] = []
        self.news: dict[str, Remote] = {}
        self.refuse: WenwenError | None = None
        self.hang: asyncio.Event | None = None
        self.submitting = asyncio.Event()
        self.fetches = 0

    def model_of(self, payload: dict[str, Any]) -> str:
        return str(payload.get("model", "m"))

    async def submit(self, task: TaskRow, inputs: Any) -> str:
        self.submits.append(task.payload)
        self.submitting.set()
        if self.hang is not None:
            await self.hang.wait()
        if self.refuse is not None:
            raise self.refuse
        return f"gw-{task.id}"

    async def poll(self, tasks: list[TaskRow]) -> dict[int, Remote]:
        return {t.id: self.news[t.gateway_id or ""] for t in tasks if (t.gateway_id or "") in self.news}

    async def fetch(self, task: TaskRow) -> Fetched:
        self.fetches += 1
        return Fetched(b"result-of-" + (task.gateway_id or "").encode(), "video/mp4")


@pytest.fixture
async def storage(target: Path | str) -> AsyncIterator[Storage]:
    store = await Storage.open(target)
    yield store
    await store.close()


def engine(storage: Storage, kind: ScriptedKind, *, timeout: float = 600, images: int = 0) -> TaskEngine:
    limits = DailyLimits(storage.usage, DayTotals(0, 0, images), lambda _: False)
    return TaskEngine(kind, TaskRepository(storage.db), timeout=timeout, progress_interval=0, limits=limits)


async def test_a_task_is_submitted_once_polled_and_delivered_once(storage: Storage) -> None:
    kind = ScriptedKind()
    tasks = engine(storage, kind)
    started = await tasks.start(CHAT, 1001, "en", {"prompt": "a fox"})
    assert isinstance(started, TaskStarted) and started.task.gateway_id == f"gw-{started.task.id}"
    kind.news[started.task.gateway_id or ""] = Remote(RemoteState.RUNNING, 40)
    [progress] = await tasks.tick()
    assert isinstance(progress, TaskProgress) and progress.percent == 40
    assert await tasks.tick() == []  # no change, nothing shown
    kind.news[started.task.gateway_id or ""] = Remote(RemoteState.DONE, 100)
    [finished] = await tasks.tick()
    assert isinstance(finished, TaskFinished) and finished.data == f"result-of-gw-{started.task.id}".encode()
    await tasks.delivered(finished.task, 77)
    assert await tasks.tick() == []
    assert kind.fetches == 1 and len(kind.submits) == 1
    row = await tasks.task(started.task.id)
    assert row is not None and row.state == TaskState.DELIVERED and row.result_message_id == 77


async def test_a_submit_cut_off_by_a_crash_is_never_sent_again_and_is_given_back(storage: Storage) -> None:
    kind = ScriptedKind()
    kind.hang = asyncio.Event()
    tasks = engine(storage, kind, images=1)
    running = asyncio.create_task(tasks.start(CHAT, 1001, "en", {"prompt": "x"}))
    await kind.submitting.wait()
    running.cancel()  # the process died mid-submit
    with pytest.raises(asyncio.CancelledError):
        await running
    restarted = engine(storage, kind, images=1)
    assert await restarted.recover() == 0
    [failed] = await restarted.tick()
    assert isinstance(failed, TaskFailed) and failed.fate_unknown
    assert len(kind.submits) == 1
    kind.hang = None
    assert isinstance(await restarted.start(CHAT, 1001, "en", {"prompt": "y"}), TaskStarted), "given back"


async def test_refusals_limits_and_timeouts(storage: Storage) -> None:
    kind = ScriptedKind()
    tasks = engine(storage, kind, images=1, timeout=1e-6)
    kind.refuse = WenwenError("content policy", status=400)
    refused = await tasks.start(CHAT, 1001, "en", {})
    assert isinstance(refused, TaskRefused) and refused.message == "content policy"
    kind.refuse = None
    assert isinstance(await tasks.start(CHAT, 1001, "en", {}), TaskStarted), "a refusal does not count"
    limited = await tasks.start(CHAT, 1001, "en", {})
    assert isinstance(limited, TaskLimited) and len(kind.submits) == 2
    [timed_out] = await tasks.tick()
    assert isinstance(timed_out, TaskFailed) and timed_out.timed_out
