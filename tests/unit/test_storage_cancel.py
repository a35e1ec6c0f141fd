"""A write cancelled at any point leaves the SQLite writer ready for the next one, with nothing half-done."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from storage import Database


async def test_a_write_cancelled_at_any_step_leaves_no_transaction_behind(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        async with db.transaction() as conn:
            await conn.execute("CREATE TABLE t (n INTEGER)")

        async def write(n: int) -> None:
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO t (n) VALUES (?)", (n,))
                await conn.execute("INSERT INTO t (n) VALUES (?)", (-n,))

        cancelled = 0
        for steps in range(40):  # cancel after 0, 1, 2, … turns of the loop: BEGIN, the body, COMMIT
            task = asyncio.create_task(write(steps + 1))
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                cancelled += 1
            async with db.transaction() as conn:  # the writer takes the next transaction at once
                await conn.execute("INSERT INTO t (n) VALUES (0)")
        assert cancelled > 0  # (how many finished first depends on the machine's speed)
        async with db.read() as conn:
            async with conn.execute("SELECT n FROM t WHERE n != 0") as cursor:
                rows = [row[0] for row in await cursor.fetchall()]
        assert sorted(rows) == sorted({abs(n) for n in rows} | {-abs(n) for n in rows})  # both rows or none
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        await db.close()


async def test_a_commit_still_queued_when_its_task_is_cancelled_is_waited_for_not_rolled_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Under load aiosqlite's worker may not have run the COMMIT yet when the task is cancelled: a ROLLBACK
    sent behind it failed with "no transaction is active" (seen in the SIGKILL attack's logs)."""
    db = await Database.open(tmp_path / "db.sqlite3")
    try:
        async with db.transaction() as conn:
            await conn.execute("CREATE TABLE t (n INTEGER)")
        writer = db._conn  # type: ignore[attr-defined]  # the test holds back the writer's COMMIT
        real_execute = writer.execute
        commit_asked, release = asyncio.Event(), asyncio.Event()

        def held_execute(sql: str, *args: object) -> object:
            if sql != "COMMIT":
                return real_execute(sql, *args)

            async def later() -> object:
                commit_asked.set()
                await release.wait()  # the worker is busy with other chats' statements
                return await real_execute(sql, *args)

            return later()

        writer.execute = held_execute

        async def write() -> None:
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO t (n) VALUES (1)")

        task = asyncio.create_task(write())
        await commit_asked.wait()
        task.cancel()
        for _ in range(5):
            await asyncio.sleep(0)
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        writer.execute = real_execute
        assert not writer.in_transaction
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t (n) VALUES (2)")
        async with db.read() as conn:
            async with conn.execute("SELECT n FROM t ORDER BY n") as cursor:
                assert [row[0] for row in await cursor.fetchall()] == [1, 2]  # the commit under way was kept
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        await db.close()
