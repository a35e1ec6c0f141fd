"""`wenwen-bot backup|check|healthcheck`, a newer database refused at start, LOG_FORMAT=json: real processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from storage.migrations import MIGRATIONS
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ALICE, API_KEY, TOKEN, bot_command

SECRETS = (TOKEN.split(":")[1], API_KEY)


def base_env(tmp_path: Path, **more: str) -> dict[str, str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TELEGRAM_BOT_TOKEN": TOKEN, "WENWEN_API_KEY": API_KEY}
    return env | more


async def run(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, list[str], list[str]]:
    """Exit code, stdout lines, stderr lines; never a traceback or a secret in either."""
    process = await asyncio.create_subprocess_exec(
        *bot_command(), *args, cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    output = (stdout + stderr).decode()
    assert "Traceback" not in output and not any(secret in output for secret in SECRETS), output
    return int(process.returncode or 0), stdout.decode().splitlines(), stderr.decode().splitlines()


def newer_database(path: Path) -> int:
    newer = len(MIGRATIONS) + 3
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {newer}")
    return newer


async def test_a_database_from_a_newer_version_stops_the_bot_with_one_line_and_code_2(
    tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    newer = newer_database(database)
    env = base_env(tmp_path, TELEGRAM_API_URL=tg.base_url, WENWEN_BASE_URL=ww.base_url, DATABASE_PATH=str(database))
    code, out, err = await run(tmp_path, env)
    assert code == 2 and out == []
    assert len(err) == 1, err
    assert err[0].endswith(
        f"ERROR bot: the database {database} was written by a newer wenwen-bot "
        f"(schema {newer}, this one knows {len(MIGRATIONS)}); upgrade, or restore a backup"
    )
    assert not tg.calls_of("getMe")  # refused before Telegram was asked anything
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == newer
        assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


async def test_backup_and_check_while_the_bot_runs_and_writes(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any], db_path: Path, tmp_path: Path
) -> None:
    await make_bot()
    tg.send_text(ALICE, "remember this", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)), timeout=15)
    env = base_env(tmp_path, DATABASE_PATH=str(db_path))
    copy = tmp_path / "copy.sqlite3"
    tg.send_text(ALICE, "and this, meanwhile", user_id=ALICE)  # the bot writes while the copy is made
    code, out, err = await run(tmp_path, env, "backup", str(copy))
    assert (code, err) == (0, [])
    assert out == [f"backup: wrote {copy} ({copy.stat().st_size} bytes, schema version {len(MIGRATIONS)})"]
    with sqlite3.connect(copy) as connection:
        contents = [row[0] for row in connection.execute("SELECT content FROM messages ORDER BY id")]
    assert contents[:2] == ["remember this", "echo: remember this"]

    code, out, err = await run(tmp_path, env, "check")
    assert (code, err) == (0, [])
    assert out == [
        f"check: {db_path} is ok (schema version {len(MIGRATIONS)}, this wenwen-bot knows {len(MIGRATIONS)})"
    ]

    code, out, err = await run(tmp_path, env, "backup", str(db_path))
    assert (code, out, err) == (1, [], [f"backup failed: refusing to overwrite the live database {db_path}"])


async def test_check_refuses_a_newer_schema_and_a_missing_database(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    env = base_env(tmp_path, DATABASE_PATH=str(database))
    code, out, err = await run(tmp_path, env, "check")
    assert (code, out, err) == (1, [], [f"check failed: no database at {database}"])
    newer = newer_database(database)
    code, out, err = await run(tmp_path, env, "check")
    assert code == 1 and out == []
    assert err == [
        f"check: the database {database} was written by a newer wenwen-bot "
        f"(schema {newer}, this one knows {len(MIGRATIONS)}); upgrade, or restore a backup"
    ]


async def test_healthcheck_needs_only_the_environment(tmp_path: Path) -> None:
    assert await run(tmp_path, base_env(tmp_path), "healthcheck") == (0, [], [])  # no HEALTH_PORT: nothing to ask
    code, out, err = await run(tmp_path, base_env(tmp_path, HEALTH_PORT="1"), "healthcheck")
    assert code == 1 and out == [] and len(err) == 1
    assert err[0].startswith("healthcheck: no answer from http://127.0.0.1:1/healthz")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "HEALTH_PORT": "1"}
    code, out, err = await run(tmp_path, env, "healthcheck")
    assert (code, out) == (2, []) and len(err) == 1 and "TELEGRAM_BOT_TOKEN" in err[0]


async def test_json_logs_are_one_object_per_line_even_at_debug_and_hold_no_secret(
    tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path
) -> None:
    env = base_env(
        tmp_path,
        TELEGRAM_API_URL=tg.base_url,
        WENWEN_BASE_URL=ww.base_url,
        DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        ALLOWED_USER_IDS=str(ALICE),
        LOG_LEVEL="DEBUG",
        LOG_FORMAT="json",
    )
    process = await asyncio.create_subprocess_exec(
        *bot_command(), cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        await tg.wait_for(lambda: bool(tg.calls_of("getUpdates")), timeout=20)
        tg.send_text(ALICE, "hello json", user_id=ALICE)
        await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)), timeout=20)
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    output = (stdout + stderr).decode()
    assert not any(secret in output for secret in SECRETS)
    lines = [line for line in output.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line parses
    assert len(entries) > 10 and all({"time", "level", "logger", "message"} <= e.keys() for e in entries)
    assert any(e["level"] == "DEBUG" for e in entries)
    [turn] = [e for e in entries if e["logger"] == "bot.turn"]
    assert (turn["chat"], turn["model"], turn["status"]) == (ALICE, "gpt-4o-mini", "ok")
    assert turn["prompt_tokens"] > 0 and turn["completion_tokens"] > 0 and turn["latency"] >= 0
    assert turn["message"].startswith(f"turn chat={ALICE} ")
