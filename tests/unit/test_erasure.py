"""storage/erasure.py and Database.reclaim_space: retention's bounded deletes, /forget's rows, freed pages returned.

Tests taking `store` run on SQLite and PostgreSQL (tests/postgres.py); the reclaim tests are SQLite's file.
"""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import date
from pathlib import Path

import pytest

import storage.db
from storage import ChatKey, Storage
from storage.erasure import DELETED_TEXT
from storage.leases import StopRepository
from tests.rows_with import rows_with

DAY = 86400.0
ALICE, BOB, ADMIN = 1001, 1002, 9001
GROUP = -100555


async def conversation(
    store: Storage, chat: ChatKey, at: float, texts: list[tuple[str, int | None]], *, step: float = 1.0
) -> int:
    """A conversation made at `at` with messages (text, user id; None: the bot's answer) `step` s apart."""
    async with store.db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO conversations (chat_id, thread_id, created_at, active) VALUES (?, ?, ?, 0)",
            (chat.chat_id, chat.thread_id, at),
        )
        made = int(cursor.lastrowid or 0)
        for n, (text, user) in enumerate(texts):
            await conn.execute(
                "INSERT INTO messages (conversation_id, role, content, user_id, created_at, attachments) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (made, "user" if user else "assistant", text, user, at + n * step, '["photo-id"]' if user else None),
            )
    return made


async def run_retention(store: Storage, before: float, budget: int) -> tuple[int, int, int]:
    """The core loop in small: (conversations, messages, transactions)."""
    conversations = messages = transactions = 0
    after: int | None = 0
    while after is not None:
        idle, after = await store.erasure.idle_conversations(before, after, 3)
        while idle:
            done = await store.erasure.delete_idle(idle, before, budget)
            conversations, messages, transactions = (
                conversations + done.conversations,
                messages + done.messages,
                transactions + 1,
            )
            assert done.messages <= budget
            idle = done.remaining
    return conversations, messages, transactions


async def ids_of(store: Storage, table: str) -> list[int]:
    async with store.db.read() as conn, conn.execute(f"SELECT id FROM {table} ORDER BY id") as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]


async def test_idle_conversations_go_in_bounded_batches_and_recent_ones_stay(store: Storage) -> None:
    now = time.time()
    old = [await conversation(store, ChatKey(ALICE), now - 400 * DAY, [(f"old {i}", ALICE)] * 4) for i in range(5)]
    big = await conversation(store, ChatKey(GROUP, 7), now - 300 * DAY, [("big", BOB)] * 23)
    empty = await conversation(store, ChatKey(BOB), now - 200 * DAY, [])
    revived = await conversation(store, ChatKey(BOB), now - 400 * DAY, [("then", BOB), ("now", BOB)], step=399 * DAY)
    recent = await conversation(store, ChatKey(ALICE), now - 10 * DAY, [("recent", ALICE)])
    fresh_empty = await conversation(store, ChatKey(ALICE, 3), now - 1 * DAY, [])
    found = await run_retention(store, now - 180 * DAY, budget=10)
    assert found[:2] == (7, 5 * 4 + 23)
    assert found[2] >= (20 + 23) // 10  # never more than 10 messages in one transaction
    assert await ids_of(store, "conversations") == [revived, recent, fresh_empty]
    assert big not in await ids_of(store, "conversations") and empty not in await ids_of(store, "conversations")
    assert old[0] not in await ids_of(store, "conversations")
    assert len(await ids_of(store, "messages")) == 3
    if store.db.dialect == "sqlite":  # the full-text index lost the deleted messages too
        assert await store.history.search(ChatKey(ALICE), ["old"]) == []
        assert [m.snippet for m in await store.history.search(ChatKey(ALICE), ["recent"])] != []


async def test_a_conversation_written_to_after_the_look_is_kept(store: Storage) -> None:
    now = time.time()
    quiet = await conversation(store, ChatKey(ALICE), now - 400 * DAY, [("hello", ALICE)])
    idle, _ = await store.erasure.idle_conversations(now - 180 * DAY, 0, 10)
    assert idle == [quiet]
    await store.conversations.add_message(quiet, "user", "I am back", token_estimate=3, user_id=ALICE)
    done = await store.erasure.delete_idle(idle, now - 180 * DAY)
    assert (done.conversations, done.messages, done.remaining) == (0, 0, [])
    assert len(await store.conversations.all_messages(quiet)) == 2


async def test_forget_leaves_no_row_with_the_users_id_but_a_denial_and_scrubs_group_messages(store: Storage) -> None:
    now = time.time()
    for thread in (0, 5):
        await conversation(store, ChatKey(ALICE, thread), now, [("private words", ALICE), ("answer", None)])
    group = await conversation(store, ChatKey(GROUP), now, [("alice in the group", ALICE), ("bob here", BOB)])
    await store.settings.set_model(ChatKey(ALICE), "gpt-4o")
    await store.settings.set_system_prompt(ChatKey(ALICE, 5), "be brief")
    await store.usage.record(ALICE, date.today(), "gpt-4o", requests=2, prompt_tokens=5)
    await store.usage.record(BOB, date.today(), "gpt-4o", requests=1)
    await store.usage.set_limit(ALICE, "requests", 50)
    await store.access.set(ALICE, "allowed", ADMIN)
    await store.access.set(BOB, "allowed", ALICE)  # Alice was an admin once
    parent = await store.mj.create(ChatKey(GROUP), ALICE, "en", "IMAGINE", "a cat")
    await store.mj.set_buttons(parent, [("MJ::U1", "U1", "")])
    child = await store.mj.create(ChatKey(GROUP), BOB, "en", "UPSCALE", "", parent_id=parent)
    await store.mj.create(ChatKey(ALICE), ALICE, "en", "IMAGINE", "a dog")
    await store.mj.create(ChatKey(GROUP), BOB, "en", "IMAGINE", "bob's")
    async with store.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO tasks (kind, chat_id, user_id, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            ("video", ALICE, ALICE, "running", now, now),
        )
    stops = StopRepository(store.db)  # /stop between processes sharing the database
    await stops.request(GROUP, 0, ALICE, may_stop_any=False)
    await stops.request(ALICE, 0, ALICE, may_stop_any=False)

    remaining = await store.erasure.user_conversations(ALICE)
    assert len(remaining) == 2
    while remaining:
        remaining = (await store.erasure.delete_conversations(remaining, 3)).remaining
    scrubbed = 0
    while n := await store.erasure.scrub_messages(ALICE, max_messages=1):
        scrubbed += n
    rows = await store.erasure.forget_user_rows(ALICE)
    assert scrubbed == 1
    assert (rows.settings, rows.usage_rows, rows.limits, rows.access, rows.access_changes, rows.tasks) == (
        2,
        1,
        1,
        1,
        1,
        3,
    )
    assert sorted(rows.places, key=lambda p: p.thread_id) == [ChatKey(ALICE, 0), ChatKey(ALICE, 5)]
    assert await rows_with(store.db, ALICE) == []
    assert [(m.content, m.user_id, m.attachments) for m in await store.conversations.all_messages(group)] == [
        (DELETED_TEXT, None, ()),
        ("bob here", BOB, ("photo-id",)),
    ]
    assert (await store.mj.get(child)) is not None and (await store.mj.get(child)).parent_id is None  # type: ignore[union-attr]
    assert await store.usage.totals(BOB, date.today()) != await store.usage.totals(ALICE, date.today())
    # a denial is what keeps a user out: it stays
    await store.access.set(ALICE, "denied", ADMIN)
    await store.erasure.forget_user_rows(ALICE)
    left = await rows_with(store.db, ALICE)
    assert [(f.table, f.column) for f in left] == [("access", "subject_id")]
    assert [e.state for e in await store.access.all() if e.subject_id == ALICE] == ["denied"]


async def test_forget_in_a_group_touches_only_that_group(store: Storage) -> None:
    now = time.time()
    here = await conversation(store, ChatKey(GROUP, 3), now, [("mine", ALICE), ("bob's", BOB)])
    there = await conversation(store, ChatKey(-100999), now, [("elsewhere", ALICE)])
    await store.mj.create(ChatKey(GROUP), ALICE, "en", "IMAGINE", "here")
    await store.mj.create(ChatKey(-100999), ALICE, "en", "IMAGINE", "there")
    assert await store.history.set_model_title(here, "Alice's secret")  # made from her first question
    assert await store.history.set_model_title(there, "Elsewhere")
    assert await store.erasure.scrub_messages(ALICE, GROUP) == 1
    assert (await store.history.summary(ChatKey(GROUP, 3), here)).title is None  # type: ignore[union-attr]
    assert (await store.history.summary(ChatKey(-100999), there)).title == "Elsewhere"  # type: ignore[union-attr]
    assert await store.erasure.scrub_messages(ALICE, GROUP) == 0
    assert await store.erasure.forget_user_in_group(ALICE, GROUP) == 1
    assert [m.content for m in await store.conversations.all_messages(here)] == [DELETED_TEXT, "bob's"]
    assert [m.content for m in await store.conversations.all_messages(there)] == ["elsewhere"]


# ---------------------------------------------------------------------------------- reclaim_space (SQLite)


async def test_a_new_file_is_made_with_incremental_vacuum(tmp_path: Path) -> None:
    store = await Storage.open(tmp_path / "bot.sqlite3")
    await store.close()
    assert file_pages(tmp_path / "bot.sqlite3")[0] == 2


def file_pages(path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(path) as raw:
        return tuple(
            raw.execute(f"PRAGMA {name}").fetchone()[0] for name in ("auto_vacuum", "page_count", "freelist_count")
        )  # type: ignore[return-value]


def on_disk(path: Path) -> int:
    """The database file and its WAL, in bytes."""
    return sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if p.exists())


async def fill(store: Storage, conversations: int, messages: int) -> None:
    for i in range(conversations):
        await conversation(store, ChatKey(ALICE, i), time.time() - 400 * DAY, [(f"text {i} " * 200, ALICE)] * messages)


async def test_reclaim_switches_a_small_old_file_to_incremental_once_then_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as raw:  # made the way every database before this one was: no auto_vacuum
        raw.execute("CREATE TABLE older_than_this (x)")
    store = await Storage.open(path)
    try:
        assert file_pages(path)[0] == 0
        await fill(store, 20, 20)
        await run_retention(store, time.time() - 180 * DAY, 200)
        _, pages, free = file_pages(path)
        assert free > 100
        refused = await store.db.reclaim_space(may_rewrite=False)  # not quiet: wait for a better moment
        assert (refused.pages, refused.rewritten) == (0, False) and "quiet" in refused.note
        done = await store.db.reclaim_space(may_rewrite=True)
        assert done.rewritten and done.pages > 100 and done.left == 0
        assert file_pages(path) == (2, pages - done.pages, 0)
        await fill(store, 10, 20)
        await run_retention(store, time.time() - 180 * DAY, 200)
        assert file_pages(path)[2] > 50
        monkeypatch.setattr(storage.db, "RECLAIM_STEP_PAGES", 16)  # many small steps
        size_before = on_disk(path)
        stepped = await store.db.reclaim_space(may_rewrite=False)  # no rewrite needed any more
        assert not stepped.rewritten and stepped.pages > 50 and stepped.left == 0
        assert file_pages(path)[2] == 0
        assert on_disk(path) < size_before
    finally:
        await store.close()


async def test_reclaim_leaves_a_big_old_file_alone_and_says_how(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite3.connect(tmp_path / "bot.sqlite3") as raw:
        raw.execute("CREATE TABLE older_than_this (x)")
    store = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        await fill(store, 5, 10)
        await run_retention(store, time.time() - 180 * DAY, 200)
        monkeypatch.setattr(storage.db, "REWRITE_LIMIT_BYTES", 4096)
        found = await store.db.reclaim_space(may_rewrite=True)
        assert (found.pages, found.rewritten) == (0, False) and found.left > 0
        assert "auto_vacuum=INCREMENTAL" in found.note
    finally:
        await store.close()
