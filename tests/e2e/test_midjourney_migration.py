"""Migration 15: Midjourney's rows move from `mj_tasks` into the task engine's `tasks`.

A database at version 14 with tasks in flight (submitted, being polled) and one delivered is migrated: the
rows keep what Midjourney needs, the buttons keep their ids (old results' callback data) and follow their
task, and after start the in-flight tasks are each delivered once, the delivered one never again.
"""

from __future__ import annotations

import importlib
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import storage.db
from storage import MjStatus, Storage
from storage.migrations import MIGRATIONS
from tests.attacks.inprocess import poll_until
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ALICE

from .mj_helpers import FAST_MJ, photos, wait_results

BEFORE = 14  # the version before Midjourney moved onto the task engine

_MJ_INSERT = (
    "INSERT INTO mj_tasks (id, task_id, chat_id, thread_id, user_id, lang, action, parent_id, status, progress, "
    "prompt, final_prompt, image_url, reply_to, progress_message_id, result_message_id, created_at, updated_at, "
    "delivery_attempts, video_url) VALUES (?, ?, ?, 0, ?, 'en', ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?, ?, '')"
)


async def at_version_14(target: Path | str, monkeypatch: pytest.MonkeyPatch, gateway_ids: list[str]) -> None:
    """The old schema with a video row (ids collide), a delivered grid, an upscale of it submitted, one polled."""
    with monkeypatch.context() as patch:
        patch.setattr(storage.db, "MIGRATIONS", MIGRATIONS[:BEFORE])
        if importlib.util.find_spec("asyncpg") is not None:
            patch.setattr(importlib.import_module("storage.postgres"), "MIGRATIONS", MIGRATIONS[:BEFORE])
        old = await Storage.open(target)
    try:
        assert await old.db.schema_version() == BEFORE
        now = time.time()
        delivered, submitted, polled = gateway_ids
        async with old.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO tasks (id, kind, chat_id, user_id, state, created_at, updated_at) "
                "VALUES (1, 'video', ?, ?, 'delivered', ?, ?)",
                (ALICE, ALICE, now, now),
            )
            rows: list[tuple[Any, ...]] = [
                (1, delivered, "IMAGINE", None, "delivered", 100, "a fox", "a fox --v 7", "https://cdn/x.png", 0),
                (2, submitted, "UPSCALE", 1, "submitted", 0, "a fox --v 7", "", "", 0),
                (3, polled, "IMAGINE", None, "running", 40, "a lighthouse", "", "https://cdn/p.png", 1),
            ]
            for row_id, task_id, action, *rest, attempts in rows:
                await conn.execute(_MJ_INSERT, (row_id, task_id, ALICE, ALICE, action, *rest, now, now, attempts))
            await conn.execute("UPDATE mj_tasks SET result_message_id = 555 WHERE id = 1")
            for button_id, custom_id, pressed in ((7, "MJ::JOB::upsample::1::x", now), (8, "bot::seed", None)):
                await conn.execute(
                    "INSERT INTO mj_buttons (id, task_row, custom_id, label, emoji, position, pressed_at) "
                    "VALUES (?, 1, ?, '', '', ?, ?)",
                    (button_id, custom_id, button_id - 7, pressed),
                )
    finally:
        await old.close()


async def test_migration_moves_the_rows_their_buttons_and_parents_into_tasks(
    target: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await at_version_14(target, monkeypatch, ["gw-done", "gw-up", "gw-run"])
    store = await Storage.open(target)
    try:
        assert await store.db.schema_version() == len(MIGRATIONS)
        grid, upscale, polled = [await store.mj.get(row_id) for row_id in (2, 3, 4)]  # shifted past the video row
        assert grid is not None and upscale is not None and polled is not None
        assert (grid.task_id, grid.status, grid.final_prompt, grid.image_url) == (
            "gw-done",
            MjStatus.DELIVERED,
            "a fox --v 7",
            "https://cdn/x.png",
        )
        assert grid.result_message_id == 555 and (await store.mj.by_result_message(ALICE, 555)) == grid
        assert (upscale.action, upscale.parent_id, upscale.status) == ("UPSCALE", grid.id, MjStatus.SUBMITTED)
        assert (polled.status, polled.progress, polled.delivery_attempts) == (MjStatus.RUNNING, 40, 1)
        assert [(b.id, b.task_row, b.custom_id) for b in await store.mj.buttons(grid.id)] == [
            (7, grid.id, "MJ::JOB::upsample::1::x"),
            (8, grid.id, "bot::seed"),
        ]
        assert not await store.mj.claim_button(7), "a pressed button stays pressed"
        assert await store.mj.claim_button(8)
        async with (
            store.db.read() as conn,
            conn.execute("SELECT id, task_id, status, action FROM mj_tasks ORDER BY id") as cursor,
        ):
            view = [tuple(row) for row in await cursor.fetchall()]
        assert view == [
            (2, "gw-done", "delivered", "IMAGINE"),
            (3, "gw-up", "submitted", "UPSCALE"),
            (4, "gw-run", "running", "IMAGINE"),
        ], "the read-only mj_tasks shows the same rows"
        # new rows (and buttons) get ids past the copied ones, on PostgreSQL's sequences too
        fresh = await store.mj.create(grid.chat, ALICE, "en", "IMAGINE", "new")
        assert fresh == 5
        [button] = await store.mj.set_buttons(fresh, [("bot::seed", "", "🌱")])
        assert button.id == 9
    finally:
        await store.close()


def delivered(db_path: Path) -> int:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        [(count,)] = con.execute("SELECT COUNT(*) FROM mj_tasks WHERE status = 'delivered'").fetchall()
    return int(count)


async def test_in_flight_tasks_are_delivered_once_after_the_migration(
    tg: FakeTelegram,
    ww: FakeWenwen,
    db_path: Path,
    make_bot: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    done = ww.mj_create_task("a fox --v 7")
    submitted = ww.mj_create_task("a fox --v 7", action="UPSCALE", finished=False)
    polled = ww.mj_create_task("a lighthouse", finished=False)
    await at_version_14(db_path, monkeypatch, [done.id, submitted.id, polled.id])

    bot = await make_bot(**FAST_MJ)
    results = await wait_results(tg, ALICE, 2)
    await poll_until(lambda: delivered(db_path) == 3, 15, "every task delivered")  # recorded after each send
    store = bot.services.storage
    rows = [await store.mj.get(row_id) for row_id in (2, 3, 4)]
    assert [row.status for row in rows if row is not None] == [
        MjStatus.DELIVERED,
        MjStatus.DELIVERED,
        MjStatus.DELIVERED,
    ]
    assert len(photos(tg, ALICE)) == 2, "each in-flight task once, the delivered one never again"
    by_reply = {message.message_id: message for message in results}
    assert {row.result_message_id for row in rows[1:] if row is not None} == set(by_reply)
    assert len(ww.mj_requests("/mj/submit/imagine")) == 0 and len(ww.mj_requests("/mj/submit/action")) == 0
