"""`wenwen-bot migrate-sqlite-to-postgres SQLITE_PATH`: a real process copies a SQLite database into PostgreSQL.

Needs a PostgreSQL server (tests/postgres.py): skipped with the reason without one, a failure in CI.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from storage import ChatKey, ChatSettings, DayTotals, MessageStatus, MjStatus, Storage, StoredDocument
from storage.migrations import MIGRATIONS
from storage.tasks import TaskRepository
from tests.harness import API_KEY, TOKEN, bot_command
from tests.postgres import fresh_schema

PASSWORD = "pg-Secret-9f3a"  # the local test server trusts its socket: the password is only there to be hidden
DAY = date(2025, 5, 1)


@pytest.fixture
async def pg_url(postgres_admin_url: str) -> AsyncIterator[str]:
    async with fresh_schema(postgres_admin_url) as url:
        yield url.replace("postgresql://wenwen@", f"postgresql://wenwen:{PASSWORD}@", 1)


async def run(tmp_path: Path, url: str, *args: str) -> tuple[int, str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "WENWEN_API_KEY": API_KEY,
        "DATABASE_URL": url,
    }
    process = await asyncio.create_subprocess_exec(
        *bot_command(), *args, cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    output = stdout.decode()
    assert "Traceback" not in output and PASSWORD not in output and url not in output, output
    return int(process.returncode or 0), output


def counts(output: str) -> dict[str, tuple[int, int, int]]:
    found = re.findall(r"^(\w+): (\d+) in SQLite, (\d+) copied, (\d+) in PostgreSQL$", output, re.MULTILINE)
    return {table: (int(a), int(b), int(c)) for table, a, b, c in found}


async def filled_sqlite(path: Path) -> dict[str, int]:
    store = await Storage.open(path)
    try:
        chat, group = ChatKey(1001), ChatKey(-100500, 7)
        first = await store.conversations.active(chat)
        await store.conversations.add_message(
            first,
            "user",
            "你好 with a file",
            token_estimate=4,
            user_id=1001,
            tg_message_id=10,
            attachments=("photo-file-id",),
            documents=(StoredDocument("doc-id", "report.pdf", "pdf"),),
            lang="zh",
        )
        answer = await store.conversations.begin_answer(first)
        assert answer is not None
        await store.conversations.finish_answer(answer, "答案 😀", MessageStatus.COMPLETE, token_estimate=5, model="m")
        await store.conversations.mark_delivered(answer, (11, 12))
        await store.history.rename(chat, first, "First talk")
        second = await store.conversations.start_new(chat)
        await store.conversations.add_message(second, "user", "second conversation", token_estimate=2, user_id=1001)
        in_group = await store.conversations.active(group)
        await store.conversations.add_message(in_group, "user", "in a topic", token_estimate=2, user_id=1002)
        await store.settings.set_model(chat, "gpt-4o")
        await store.settings.set(group, "thinking", 1)
        await store.usage.record(1001, DAY, "gpt-4o", requests=3, prompt_tokens=30, completion_tokens=40, images=1)
        await store.usage.set_limit(1002, "tokens", 5000)
        await store.access.set(1003, "allowed", 1)
        await store.access.set(-100500, "allowed", 1)
        await store.state.set("low_balance_warned", "yes")
        task = await store.mj.create(chat, 1001, "en", "IMAGINE", "a cat")
        await store.mj.update(task, status=MjStatus.SUCCEEDED, task_id="gw-1", image_url="https://x/1.png")
        await store.mj.set_buttons(task, [("MJ::U1", "U1", ""), ("MJ::V1", "V1", "")])
        await TaskRepository(store.db).create("video", chat, 1001, "en", {"prompt": "a dog"})
        return {"first": first, "second": second, "group": in_group, "answer": answer, "task": task}
    finally:
        await store.close()


async def test_a_sqlite_database_is_copied_whole_and_a_second_run_copies_nothing(tmp_path: Path, pg_url: str) -> None:
    sqlite_path = tmp_path / "bot.sqlite3"
    ids = await filled_sqlite(sqlite_path)

    code, output = await run(tmp_path, pg_url, "migrate-sqlite-to-postgres", str(sqlite_path))
    assert code == 0, output
    first_run = counts(output)
    assert first_run["conversations"] == (3, 3, 3)
    assert first_run["messages"] == (4, 4, 4)
    assert first_run["chat_settings"] == (2, 2, 2)
    assert first_run["usage_daily"] == (1, 1, 1)
    assert "mj_tasks" not in first_run, "a view over tasks since migration 15, not copied"
    assert first_run["tasks"] == (2, 2, 2) and first_run["mj_buttons"] == (2, 2, 2)  # Midjourney's row and a video
    assert first_run["access"] == (2, 2, 2) and first_run["user_limits"] == (1, 1, 1)
    assert first_run["bot_state"][0] == 1  # (and the copy's own marker)
    assert "rows copied from" in output

    code, output = await run(tmp_path, pg_url, "migrate-sqlite-to-postgres", str(sqlite_path))
    assert code == 0, output
    again = counts(output)
    assert again.keys() == first_run.keys()
    assert all(copied == 0 for _, copied, _ in again.values()), output
    assert {table: (source, total) for table, (source, _, total) in again.items()} == {
        table: (source, total) for table, (source, _, total) in first_run.items()
    }

    store = await Storage.open(pg_url)
    try:
        assert store.db.dialect == "postgres"
        chat, group = ChatKey(1001), ChatKey(-100500, 7)
        assert await store.conversations.active(chat) == ids["second"]  # the current one stays current
        assert await store.conversations.active(group) == ids["group"]
        question, answer = await store.conversations.all_messages(ids["first"])
        assert (question.content, question.attachments, question.lang) == ("你好 with a file", ("photo-file-id",), "zh")
        assert question.documents == (StoredDocument("doc-id", "report.pdf", "pdf"),)
        assert (answer.id, answer.content, answer.status, answer.tg_reply_ids) == (
            ids["answer"],
            "答案 😀",
            MessageStatus.COMPLETE,
            (11, 12),
        )
        summary = await store.history.summary(chat, ids["first"])
        assert summary is not None and summary.title == "First talk"
        assert [m.message_id for m in await store.history.search(chat, ["答案"])] == [answer.id]
        (found,) = await store.history.search(chat, ["with", "a FILE"])  # ILIKE: every word, any case
        assert found.message_id == question.id and "\x02with\x03" in found.snippet
        assert await store.settings.get(chat) == ChatSettings(model="gpt-4o")
        assert (await store.settings.get(group)).thinking is True
        assert await store.usage.totals(1001, DAY) == DayTotals(3, 70, 1)
        assert (await store.usage.limits_of(1002)).tokens == 5000
        assert {e.subject_id for e in await store.access.all()} == {1003, -100500}
        assert await store.state.get("low_balance_warned") == "yes"
        task = await store.mj.get(ids["task"])
        assert task is not None and (task.status, task.task_id) == (MjStatus.SUCCEEDED, "gw-1")
        assert [b.custom_id for b in await store.mj.buttons(ids["task"])] == ["MJ::U1", "MJ::V1"]
        # new rows get ids past the copied ones (the identity sequences were moved on)
        newer = await store.conversations.start_new(chat)
        assert newer > max(ids["first"], ids["second"], ids["group"])
        message = await store.conversations.add_message(newer, "user", "after the move", token_estimate=1)
        assert message > ids["answer"]
    finally:
        await store.close()


async def test_a_postgres_database_in_use_is_refused_and_a_missing_file_too(tmp_path: Path, pg_url: str) -> None:
    used = await Storage.open(pg_url)
    try:
        await used.conversations.add_message(await used.conversations.active(ChatKey(5)), "user", "x", token_estimate=1)
    finally:
        await used.close()
    sqlite_path = tmp_path / "bot.sqlite3"
    await filled_sqlite(sqlite_path)

    code, output = await run(tmp_path, pg_url, "migrate-sqlite-to-postgres", str(sqlite_path))
    assert code == 1
    assert "is not empty" in output and "conversations" in output

    code, output = await run(tmp_path, pg_url, "migrate-sqlite-to-postgres", str(tmp_path / "typo.sqlite3"))
    assert code == 1 and "no SQLite database at" in output
    assert not (tmp_path / "typo.sqlite3").exists()


async def test_check_reads_the_postgres_schema_and_backup_points_to_pg_dump(tmp_path: Path, pg_url: str) -> None:
    await (await Storage.open(pg_url)).close()
    code, output = await run(tmp_path, pg_url, "check")
    assert code == 0 and f"schema version {len(MIGRATIONS)}" in output and "PostgreSQL at DATABASE_URL is ok" in output
    code, output = await run(tmp_path, pg_url, "backup", str(tmp_path / "copy.sqlite3"))
    assert code == 1 and "pg_dump" in output
    assert not (tmp_path / "copy.sqlite3").exists()
