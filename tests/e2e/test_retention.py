"""HISTORY_RETENTION_DAYS: idle conversations deleted by the daily job, recent ones kept, the file shrinks."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import bot.app
from bot.handlers.retention import retention_job
from storage import ChatKey
from tests.e2e.test_history import said
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ALICE, BOB, RunningBot

GROUP = -100313
DAY = 86400.0


def on_disk(path: Path) -> int:
    return sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if p.exists())


def freelist(path: Path) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute("PRAGMA freelist_count").fetchone()[0])


async def conversation_ids(bot: RunningBot) -> list[int]:
    async with bot.services.storage.db.read() as conn, conn.execute("SELECT id FROM conversations ORDER BY id") as c:
        return [int(row[0]) for row in await c.fetchall()]


async def age(bot: RunningBot, conversation: int, days: float) -> None:
    """Move a conversation and its messages `days` into the past."""
    async with bot.services.storage.db.transaction() as conn:
        await conn.execute(
            "UPDATE messages SET created_at = created_at - ? WHERE conversation_id = ?", (days * DAY, conversation)
        )
        await conn.execute(
            "UPDATE conversations SET created_at = created_at - ? WHERE id = ?", (days * DAY, conversation)
        )


async def bulk(bot: RunningBot, conversation: int, count: int) -> None:
    """Many long messages (a conversation of months), so the freed pages are worth giving back."""
    async with bot.services.storage.db.transaction() as conn:
        for n in range(count):
            await conn.execute(
                "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, ?, ?, ?)",
                (conversation, "user" if n % 2 else "assistant", f"old chatter {n} " * 150, time.time()),
            )


async def test_idle_conversations_are_deleted_recent_ones_kept_and_pages_returned(
    tg: FakeTelegram,
    ww: FakeWenwen,
    make_bot: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    db_path: Path,
) -> None:
    monkeypatch.setattr(bot.app, "RETENTION_FIRST", 3600.0)  # the test runs the job itself
    running: RunningBot = await make_bot(history_retention_days=30)
    assert [job.name for job in running.app.job_queue.jobs() if job.name == "history-retention"]  # type: ignore[union-attr]
    repo = running.services.storage.conversations
    mention = f"@{tg.bot_user['username']}"
    assert (await said(tg, ALICE, "what about the giraffes")).text == "echo: what about the giraffes"
    old = await repo.active(ChatKey(ALICE))
    await said(tg, ALICE, "/new")
    assert (await said(tg, ALICE, "and the zebras")).text == "echo: and the zebras"
    recent = await repo.active(ChatKey(ALICE))
    await said(tg, GROUP, f"{mention} group talk", user_id=BOB, chat_type="supergroup")
    group = await repo.active(ChatKey(GROUP))
    await bulk(running, old, 400)
    await age(running, old, 15)
    await age(running, group, 15)
    # the clock says 20 days on: those two are 35 days idle, Alice's current one 20 (kept)
    running.services.retention.clock = lambda: datetime.now(UTC) + timedelta(days=20)
    size_before = on_disk(db_path)
    async with (
        running.services.storage.db.read() as conn,
        conn.execute("SELECT COUNT(*) FROM messages WHERE conversation_id IN (?, ?)", (old, group)) as cursor,
    ):
        doomed = int((await cursor.fetchone())[0])
    assert doomed == 2 + 400 + 2

    caplog.clear()
    assert running.app is not None and running.app.job_queue is not None
    running.app.job_queue.run_once(retention_job, 0, name="retention-now")
    for _ in range(200):
        if "retention: deleted" in caplog.text:
            break
        await asyncio.sleep(0.05)
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("retention: deleted"))
    assert line.startswith(f"retention: deleted 2 conversation(s) with {doomed} message(s) idle for over 30 days")
    assert "giraffe" not in caplog.text and str(ALICE) not in line  # counts only
    assert await conversation_ids(running) == [recent]
    assert freelist(db_path) == 0  # the freed pages went back to the file system …
    assert on_disk(db_path) < size_before  # … and the file is smaller than before the deletion
    assert "KB returned to the file system" in line

    listing = await said(tg, ALICE, "/history")
    assert "zebras" in (listing.text or "") and "giraffes" not in (listing.text or "")
    assert "Nothing found" in ((await said(tg, ALICE, "/find giraffes")).text or "")
    assert "Nothing found" in ((await said(tg, ALICE, "/find old chatter")).text or "")
    # the deleted current conversation of the group is not remembered: the group goes on in a new one
    still = await said(tg, GROUP, f"{mention} still here?", user_id=BOB, chat_type="supergroup")
    assert still.text == "echo: still here?"
    fresh = await repo.all_messages(await repo.active(ChatKey(GROUP)))  # (SQLite may reuse a deleted id)
    assert [m.content for m in fresh] == ["still here?", "echo: still here?"]
    assert (await said(tg, ALICE, "and the lions")).text == "echo: and the lions"
    assert await repo.active(ChatKey(ALICE)) == recent


async def test_without_the_setting_nothing_is_scheduled_or_deleted(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    assert bot.app is not None and bot.app.job_queue is not None
    assert "history-retention" not in [job.name for job in bot.app.job_queue.jobs()]
    await said(tg, ALICE, "keep me")
    bot.services.retention.clock = lambda: datetime.now(UTC) + timedelta(days=10_000)
    report = await bot.services.retention.run()
    assert (report.conversations, report.messages) == (0, 0)
    assert len(await conversation_ids(bot)) == 1


async def test_a_run_stops_between_batches_when_the_bot_stops(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    running: RunningBot = await make_bot(history_retention_days=1)
    for chat in range(30):
        conversation = await running.services.storage.conversations.active(ChatKey(ALICE, chat + 1))
        await bulk(running, conversation, 20)
        await age(running, conversation, 5)
    asked = 0

    def keep_going() -> bool:
        nonlocal asked
        asked += 1
        return asked < 4  # the process starts stopping during the run

    with caplog.at_level(logging.INFO):
        first = await running.services.retention.run(keep_going)
    assert not first.finished and 0 < first.conversations < 30
    assert "stopped before the end" in caplog.text
    second = await running.services.retention.run()  # the next run goes on
    assert second.finished and first.conversations + second.conversations == 30
    assert first.messages + second.messages == 30 * 20
    assert await conversation_ids(running) == []
