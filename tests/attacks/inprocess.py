"""Waiting for the in-process bot (RunningBot) to catch up and to settle, on conditions, with deadlines."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.fakes.telegram_api import FakeTelegram
from tests.harness import RunningBot

UNSETTLED_MJ = ("submitting", "submitted", "running", "succeeded", "delivering", "failed")


def busy_updates(bot: RunningBot) -> int:
    """Updates the Application has fetched and not finished handling."""
    app = bot.app
    assert app is not None
    return app.update_queue.qsize() + app.update_processor.current_concurrent_updates


async def caught_up(tg: FakeTelegram, bot: RunningBot, backlog: int, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Every queued update fetched, and at most ``backlog`` of them still being handled."""
    await tg.wait_for(lambda: not tg.updates and busy_updates(bot) <= backlog, timeout=timeout)


def unsettled_mj(db_path: Path) -> list[tuple[int, str, str]]:
    if not db_path.exists():
        return []
    marks = ",".join("?" * len(UNSETTLED_MJ))
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        try:
            rows = con.execute(
                f"SELECT id, task_id, status FROM mj_tasks WHERE status IN ({marks})", UNSETTLED_MJ
            ).fetchall()
        except sqlite3.OperationalError:  # no table yet
            return []
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


async def poll_until(condition: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
    """Re-check a condition (database state) every 50 ms until it holds; AssertionError at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not settled within {timeout:.0f}s: {what}")
        await asyncio.sleep(0.05)


async def settled(tg: FakeTelegram, bot: RunningBot, db_path: Path, timeout: float = 60.0) -> list[str]:  # noqa: ASYNC109
    """Wait until updates, turns and Midjourney tasks are done; returns what did not settle in time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    problems: list[str] = []
    try:
        await caught_up(tg, bot, 0, timeout=timeout)
    except AssertionError:
        problems.append(f"updates still being handled after {timeout:.0f}s: {busy_updates(bot)}")
    try:
        async with asyncio.timeout(max(1.0, deadline - loop.time())):
            await bot.services.turn_queue.idle()
    except TimeoutError:
        problems.append("chat turns still running at the deadline")
    try:
        await poll_until(lambda: not unsettled_mj(db_path), max(1.0, deadline - loop.time()), "Midjourney tasks")
    except AssertionError:
        problems.append(f"Midjourney tasks never settled: {unsettled_mj(db_path)[:10]}")
    return problems
