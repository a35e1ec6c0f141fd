"""storage/: the database, migrations and the repositories `core` uses, on SQLite and on PostgreSQL.

Tests taking `store` or `target` run on both backends (tests/postgres.py: skipped with the reason when
no PostgreSQL server can be had); the rest are about SQLite's file, pragmas and query plans.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

import storage.db
import storage.usage
from storage import ChatKey, ChatSettings, Database, DayTotals, MessageStatus, Reservation, Storage, UsageRepository
from storage.migrations import MIGRATIONS
from storage.sql import Statement
from tests.postgres import fresh_schema


@pytest.fixture
async def store(target: Path | str) -> AsyncIterator[Storage]:
    opened = await Storage.open(target)
    yield opened
    await opened.close()


def integrity_error(db: Database) -> tuple[type[Exception], ...]:
    if db.dialect == "sqlite":
        return (sqlite3.IntegrityError,)
    import asyncpg  # type: ignore[import-untyped]

    return (asyncpg.IntegrityConstraintViolationError,)


def undefined_table() -> tuple[type[Exception], ...]:
    if importlib.util.find_spec("asyncpg") is None:
        return ()
    import asyncpg

    return (asyncpg.UndefinedTableError,)


def patch_migrations(monkeypatch: pytest.MonkeyPatch, migrations: list[list[Statement]]) -> None:
    monkeypatch.setattr(storage.db, "MIGRATIONS", migrations)
    if importlib.util.find_spec("asyncpg") is not None:
        monkeypatch.setattr(importlib.import_module("storage.postgres"), "MIGRATIONS", migrations)


async def pragma(db: Database, name: str) -> object:
    async with db.read() as conn, conn.execute(f"PRAGMA {name}") as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


# ---------------------------------------------------------------------------------- Database


async def test_a_read_sees_every_write_started_before_it_and_never_waits_for_its_own(store: Storage) -> None:
    conversation = await store.conversations.active(ChatKey(3))
    await store.conversations.add_message(conversation, "user", "committed", token_estimate=1)
    release = asyncio.Event()

    async def slow_write() -> None:
        async with store.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, 'user', 'later', 0)",
                (conversation,),
            )
            seen_inside = await store.conversations.all_messages(conversation)  # own task: no deadlock
            assert [m.content for m in seen_inside] == ["committed"]  # a reader sees only what is committed
            await release.wait()

    writer = asyncio.create_task(slow_write())
    for _ in range(20):
        await asyncio.sleep(0)
    reading = asyncio.create_task(store.conversations.all_messages(conversation))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not reading.done()  # the write began first: the read waits for it…
    release.set()
    await writer
    assert [m.content for m in await reading] == ["committed", "later"]  # …and sees it


async def test_open_creates_missing_folders_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "not" / "there" / "yet" / "bot.sqlite3"
    assert not path.parent.exists()
    db = await Database.open(path)
    try:
        assert path.exists()
        assert str(await pragma(db, "journal_mode")).lower() == "wal"
        assert await pragma(db, "foreign_keys") == 1
        assert await pragma(db, "user_version") == len(MIGRATIONS)
        assert await db.schema_version() == len(MIGRATIONS)
    finally:
        await db.close()
    # the settings are on the file, visible to any other reader
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"conversations", "messages", "chat_settings", "usage_daily"} <= tables


async def test_foreign_keys_are_enforced(store: Storage) -> None:
    with pytest.raises(integrity_error(store.db)):
        await store.conversations.add_message(999_999, "user", "orphan", token_estimate=1)


async def test_reopen_keeps_data_and_does_not_rerun_migrations(target: Path | str) -> None:
    path = target
    first = await Storage.open(path)
    conversation = await first.conversations.active(ChatKey(7))
    await first.conversations.add_message(conversation, "user", "kept", token_estimate=3)
    await first.close()

    second = await Storage.open(path)  # CREATE TABLE again would raise "table already exists"
    try:
        assert await second.db.schema_version() == len(MIGRATIONS)
        assert await second.conversations.active(ChatKey(7)) == conversation
        assert [m.content for m in await second.conversations.all_messages(conversation)] == ["kept"]
    finally:
        await second.close()


async def test_reopen_applies_only_new_migrations(target: Path | str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = target
    first = await Storage.open(path)
    conversation = await first.conversations.active(ChatKey(1))
    await first.conversations.add_message(conversation, "user", "old row", token_estimate=1)
    await first.close()

    extended = [*MIGRATIONS, ["CREATE TABLE extra (x INTEGER)", "INSERT INTO extra (x) VALUES (42)"]]
    patch_migrations(monkeypatch, extended)
    second = await Storage.open(path)
    try:
        assert await second.db.schema_version() == len(extended)
        async with second.db.read() as conn, conn.execute("SELECT x FROM extra") as cursor:
            assert [tuple(r) for r in await cursor.fetchall()] == [(42,)]  # ran exactly once
        assert [m.content for m in await second.conversations.all_messages(conversation)] == ["old row"]
    finally:
        await second.close()


async def test_failed_migration_leaves_the_version_unchanged(
    target: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = target
    await (await Storage.open(path)).close()
    broken: list[list[Statement]] = [*MIGRATIONS, ["CREATE TABLE half (x INTEGER)", "THIS IS NOT SQL"]]
    patch_migrations(monkeypatch, broken)
    with pytest.raises(Exception, match="syntax error"):
        await Database.open(path)
    patch_migrations(monkeypatch, MIGRATIONS)
    db = await Database.open(path)
    try:
        assert await db.schema_version() == len(MIGRATIONS)
        async with db.read() as conn, conn.execute("SELECT * FROM half") as cur:
            await cur.fetchall()
        raise AssertionError("the half-applied migration was not rolled back")
    except (sqlite3.OperationalError, *undefined_table()) as error:
        assert "half" in str(error)
    finally:
        await db.close()


async def test_transaction_that_raises_rolls_back(store: Storage) -> None:
    conversation = await store.conversations.active(ChatKey(1))
    with pytest.raises(RuntimeError, match="boom"):
        async with store.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, 'user', 'x', 0)",
                (conversation,),
            )
            raise RuntimeError("boom")
    assert await store.conversations.all_messages(conversation) == []
    # the lock and the connection are usable again
    await store.conversations.add_message(conversation, "user", "after", token_estimate=1)
    assert [m.content for m in await store.conversations.all_messages(conversation)] == ["after"]


async def test_cancelled_transaction_rolls_back(store: Storage) -> None:
    conversation = await store.conversations.active(ChatKey(1))
    inside = asyncio.Event()

    async def writer() -> None:
        async with store.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, 'user', 'x', 0)",
                (conversation,),
            )
            inside.set()
            await asyncio.Event().wait()  # cancelled here

    task = asyncio.create_task(writer())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await store.conversations.all_messages(conversation) == []
    await store.conversations.add_message(conversation, "user", "after", token_estimate=1)
    assert len(await store.conversations.all_messages(conversation)) == 1


async def test_concurrent_writes_all_land(store: Storage) -> None:
    conversation = await store.conversations.active(ChatKey(1))
    ids = await asyncio.gather(
        *(store.conversations.add_message(conversation, "user", f"m{i}", token_estimate=1) for i in range(50))
    )
    assert len(set(ids)) == 50
    stored = await store.conversations.all_messages(conversation)
    assert sorted(m.content for m in stored) == sorted(f"m{i}" for i in range(50))


# ---------------------------------------------------------------------------------- conversations


async def test_active_is_stable_and_per_chat_and_thread(store: Storage) -> None:
    repo = store.conversations
    first = await repo.active(ChatKey(1))
    assert await repo.active(ChatKey(1)) == first
    assert await repo.active(ChatKey(1, 0)) == first
    topic = await repo.active(ChatKey(1, 5))
    other = await repo.active(ChatKey(2))
    assert len({first, topic, other}) == 3
    assert await repo.active(ChatKey(1, 5)) == topic


async def test_concurrent_first_use_creates_one_conversation(store: Storage) -> None:
    ids = await asyncio.gather(*(store.conversations.active(ChatKey(77)) for _ in range(20)))
    assert len(set(ids)) == 1


async def test_start_new_switches_and_keeps_the_old_rows(store: Storage) -> None:
    repo = store.conversations
    chat = ChatKey(3)
    old = await repo.active(chat)
    await repo.add_message(old, "user", "old question", token_estimate=5)
    await repo.add_message(old, "assistant", "old answer", token_estimate=5)
    other_topic = await repo.active(ChatKey(3, 9))

    new = await repo.start_new(chat)
    assert new != old
    assert await repo.active(chat) == new
    assert await repo.window(new, 10_000) == []
    assert [m.content for m in await repo.all_messages(old)] == ["old question", "old answer"]
    assert await repo.active(ChatKey(3, 9)) == other_topic, "/new in one topic must not reset another"


async def test_message_fields_round_trip(store: Storage) -> None:
    repo = store.conversations
    conversation = await repo.active(ChatKey(1))
    message_id = await repo.add_message(
        conversation,
        "assistant",
        "答案 😀",
        token_estimate=12,
        status=MessageStatus.PARTIAL,
        user_id=55,
        tg_message_id=900,
        tg_reply_ids=(901, 902),
        model="gpt-4o-mini",
    )
    await repo.set_reply_ids(message_id, (903, 904, 905))
    (stored,) = await repo.all_messages(conversation)
    assert stored.id == message_id
    assert (stored.role, stored.content, stored.status, stored.token_estimate) == (
        "assistant",
        "答案 😀",
        MessageStatus.PARTIAL,
        12,
    )
    assert (stored.user_id, stored.tg_message_id, stored.model) == (55, 900, "gpt-4o-mini")
    assert stored.tg_reply_ids == (903, 904, 905)


async def test_window_is_oldest_first_within_budget(store: Storage) -> None:
    repo = store.conversations
    conversation = await repo.active(ChatKey(1))
    for i in range(10):
        await repo.add_message(conversation, "user" if i % 2 == 0 else "assistant", f"m{i}", token_estimate=10)
    window = await repo.window(conversation, 35)
    assert [m.content for m in window] == ["m7", "m8", "m9"]
    assert [m.content for m in await repo.window(conversation, 10_000)] == [f"m{i}" for i in range(10)]
    assert [m.content for m in await repo.window(conversation, 10_000, max_messages=4)] == ["m6", "m7", "m8", "m9"]


async def test_window_stops_at_the_first_message_that_does_not_fit(store: Storage) -> None:
    repo = store.conversations
    conversation = await repo.active(ChatKey(1))
    for content, estimate in [("small-old", 1), ("huge", 500), ("a", 10), ("b", 10)]:
        await repo.add_message(conversation, "user", content, token_estimate=estimate)
    # "small-old" would fit by itself, but history must stay contiguous
    assert [m.content for m in await repo.window(conversation, 30)] == ["a", "b"]


async def test_window_always_keeps_the_newest_message(store: Storage) -> None:
    repo = store.conversations
    conversation = await repo.active(ChatKey(1))
    await repo.add_message(conversation, "user", "older", token_estimate=5)
    await repo.add_message(conversation, "user", "too big but newest", token_estimate=10_000)
    assert [m.content for m in await repo.window(conversation, 100)] == ["too big but newest"]


async def test_window_skips_superseded(store: Storage) -> None:
    repo = store.conversations
    conversation = await repo.active(ChatKey(1))
    await repo.add_message(conversation, "user", "q", token_estimate=1)
    first = await repo.add_message(conversation, "assistant", "first try", token_estimate=1)
    await repo.supersede(first)
    await repo.add_message(conversation, "assistant", "second try", token_estimate=1)
    assert [m.content for m in await repo.window(conversation, 1000)] == ["q", "second try"]
    assert [m.content for m in await repo.last_messages(conversation, 2)] == ["q", "second try"]
    everything = await repo.all_messages(conversation)
    assert [m.status for m in everything] == [MessageStatus.COMPLETE, MessageStatus.SUPERSEDED, MessageStatus.COMPLETE]


async def test_window_pages_past_superseded_runs(store: Storage) -> None:
    repo = store.conversations
    conversation = await repo.active(ChatKey(1))
    await repo.add_message(conversation, "user", "keep-oldest", token_estimate=1)
    for i in range(150):  # more than one page of superseded rows between the kept ones
        await repo.supersede(await repo.add_message(conversation, "assistant", f"s{i}", token_estimate=1))
    await repo.add_message(conversation, "user", "keep-newest", token_estimate=1)
    assert [m.content for m in await repo.window(conversation, 1000)] == ["keep-oldest", "keep-newest"]


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "db" / "bot.sqlite3")
    yield opened
    await opened.close()


async def test_window_reads_only_what_it_needs(sqlite_store: Storage) -> None:
    """SQLite's statement trace and query plans (PostgreSQL's window runs the same statements)."""
    store = sqlite_store
    repo = store.conversations
    conversation = await repo.active(ChatKey(1))
    noise = await repo.active(ChatKey(2))
    async with store.db.transaction() as conn:
        rows = [
            (cid, "user" if i % 2 == 0 else "assistant", f"message {i}", 20, time.time())
            for i in range(5000)
            for cid in (conversation, noise)
        ]
        await conn.executemany(
            "INSERT INTO messages (conversation_id, role, content, token_estimate, created_at) VALUES (?, ?, ?, ?, ?)",
            rows,
        )

    statements: list[str] = []
    connections = [store.db._conn, *store.db._all_readers]  # reads go to a reader connection
    for connection in connections:
        await connection.set_trace_callback(statements.append)
    try:
        window = await repo.window(conversation, token_budget=100)
    finally:
        for connection in connections:
            await connection.set_trace_callback(None)

    assert [m.content for m in window] == [f"message {i}" for i in range(4995, 5000)]
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert selects, statements

    # re-run exactly what the repository ran: the rows SQLite handed back
    fetched = 0
    plans: list[str] = []
    async with store.db.read() as conn:
        for sql in selects:
            async with conn.execute(sql) as cursor:
                fetched += len(await cursor.fetchall())
            async with conn.execute(f"EXPLAIN QUERY PLAN {sql}") as cursor:
                plans.append(" | ".join(str(row[-1]) for row in await cursor.fetchall()))
    assert fetched <= 100, f"window() fetched {fetched} rows of 5000 for 5 messages"
    for plan in plans:
        assert "messages_by_conversation" in plan, plan
        assert "TEMP B-TREE" not in plan.upper(), f"sorting the whole conversation: {plan}"


# ---------------------------------------------------------------------------------- chat settings


async def test_chat_settings_per_chat_and_thread(store: Storage) -> None:
    repo = store.settings
    assert await repo.get(ChatKey(1)) == ChatSettings()
    await repo.set_model(ChatKey(1), "gpt-4o")
    await repo.set_system_prompt(ChatKey(1), "Be brief.")
    await repo.set_model(ChatKey(1, 42), "claude-3-5-sonnet-20241022")
    assert await repo.get(ChatKey(1)) == ChatSettings(model="gpt-4o", system_prompt="Be brief.")
    assert await repo.get(ChatKey(1, 42)) == ChatSettings(model="claude-3-5-sonnet-20241022")
    assert await repo.get(ChatKey(2)) == ChatSettings()

    await repo.set_model(ChatKey(1), "deepseek-chat")  # updating one column keeps the other
    assert await repo.get(ChatKey(1)) == ChatSettings(model="deepseek-chat", system_prompt="Be brief.")
    await repo.set_system_prompt(ChatKey(1), None)
    assert await repo.get(ChatKey(1)) == ChatSettings(model="deepseek-chat")


async def test_settings_survive_new_conversation(store: Storage) -> None:
    await store.settings.set_model(ChatKey(5), "gpt-4o")
    await store.conversations.start_new(ChatKey(5))
    assert (await store.settings.get(ChatKey(5))).model == "gpt-4o"


# ---------------------------------------------------------------------------------- usage


D1, D2 = date(2025, 1, 1), date(2025, 1, 2)


async def chat_turn(repo: UsageRepository, user: int, day: date, model: str, prompt: int, completion: int) -> None:
    await repo.record(user, day, model, requests=1, prompt_tokens=prompt, completion_tokens=completion)


async def test_usage_aggregates_per_day_and_model(store: Storage) -> None:
    repo = store.usage
    await chat_turn(repo, 1, D1, "gpt-4o", 10, 20)
    await chat_turn(repo, 1, D1, "gpt-4o", 1, 2)
    await chat_turn(repo, 1, D1, "deepseek-chat", 5, 5)
    await chat_turn(repo, 2, D1, "gpt-4o", 100, 0)
    await chat_turn(repo, 1, D2, "gpt-4o", 3, 4)

    rows = await repo.for_user(1, D2)
    got = [(r.day, r.model, r.requests, r.prompt_tokens, r.completion_tokens) for r in rows]
    assert got == [
        ("2025-01-02", "gpt-4o", 1, 3, 4),
        ("2025-01-01", "deepseek-chat", 1, 5, 5),
        ("2025-01-01", "gpt-4o", 2, 11, 22),
    ]
    assert [(r.requests, r.prompt_tokens) for r in await repo.for_user(2, D2)] == [(1, 100)]
    assert await repo.for_user(3, D2) == []
    assert await repo.totals(1, D1) == DayTotals(3, 43, 0)


async def test_concurrent_usage_adds_are_not_lost(store: Storage) -> None:
    await asyncio.gather(*(chat_turn(store.usage, 9, D1, "gpt-4o", 1, 2) for _ in range(30)))
    (row,) = await store.usage.for_user(9, D1)
    assert (row.requests, row.prompt_tokens, row.completion_tokens) == (30, 30, 60)


async def test_usage_for_user_days_means_recent_days(store: Storage) -> None:
    for day in range(1, 11):
        await chat_turn(store.usage, 1, date(2025, 3, day), "gpt-4o", 1, 1)
    rows = await store.usage.for_user(1, date(2025, 3, 10), days=3)
    assert [r.day for r in rows] == ["2025-03-10", "2025-03-09", "2025-03-08"]


async def test_reserve_counts_a_request_unless_a_limit_is_reached(store: Storage) -> None:
    repo = store.usage
    limits = DayTotals(requests=2, tokens=0, images=1)
    assert await repo.reserve(5, D1, "dall-e-3", images=1, limits=limits) is None
    assert await repo.reserve(5, D1, "dall-e-3", images=1, limits=limits) == Reservation("images", 1, 1)
    assert await repo.reserve(5, D1, "gpt-4o", images=0, limits=limits) is None
    assert await repo.reserve(5, D1, "gpt-4o", images=0, limits=limits) == Reservation("requests", 2, 2)
    assert await repo.totals(5, D1) == DayTotals(2, 0, 1)  # refused reservations counted nothing
    assert await repo.reserve(5, D2, "gpt-4o", images=0, limits=limits) is None  # a new day


async def test_reserve_stops_when_the_tokens_are_spent(store: Storage) -> None:
    repo = store.usage
    limits = DayTotals(requests=0, tokens=100, images=0)
    assert await repo.reserve(5, D1, "gpt-4o", images=0, limits=limits) is None
    await repo.record(5, D1, "gpt-4o", prompt_tokens=60, completion_tokens=39)
    assert await repo.reserve(5, D1, "gpt-4o", images=0, limits=limits) is None  # 99 < 100: may start
    await repo.record(5, D1, "gpt-4o", prompt_tokens=1)
    assert await repo.reserve(5, D1, "gpt-4o", images=0, limits=limits) == Reservation("tokens", 100, 100)


async def test_racing_reservations_never_pass_the_limit(store: Storage) -> None:
    limits = DayTotals(requests=5, tokens=0, images=0)
    results = await asyncio.gather(*(store.usage.reserve(7, D1, "m", images=0, limits=limits) for _ in range(40)))
    assert sum(r is None for r in results) == 5
    assert (await store.usage.totals(7, D1)).requests == 5


async def test_postgres_a_write_cancelled_mid_statement_rolls_back_and_the_pool_recovers(
    postgres_admin_url: str,
) -> None:
    async with fresh_schema(postgres_admin_url) as url:
        store = await Storage.open(url)
        try:
            conversation = await store.conversations.active(ChatKey(1))
            started = asyncio.Event()

            async def slow_write() -> None:
                async with store.db.transaction() as conn:
                    await conn.execute(
                        "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (?, 'user', 'x', 0)",
                        (conversation,),
                    )
                    started.set()
                    await conn.execute("SELECT pg_sleep(30)")  # cancelled while the server runs it

            task = asyncio.create_task(slow_write())
            await started.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
            assert await store.conversations.all_messages(conversation) == []
            for i in range(8):  # more writes than the pool has connections: none is left mid-transaction
                await store.conversations.add_message(conversation, "user", f"after {i}", token_estimate=1)
            assert len(await store.conversations.all_messages(conversation)) == 8
        finally:
            await store.close()
