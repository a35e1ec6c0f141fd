"""The health and metrics server (HEALTH_PORT): /healthz for Docker, /metrics for Prometheus."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosqlite
import httpx
import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import health
from bot.__main__ import webhook_options
from bot.health import package_version
from storage import MjStatus
from storage.sqlite_conn import OneTripConnection
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, API_KEY, TOKEN, RunningBot, bot_command, make_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def get(port: int, path: str, method: str = "GET") -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.request(method, f"http://127.0.0.1:{port}{path}")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition by (name, sorted labels), parsed by prometheus-client's own parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await get(port, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def say(tg: FakeTelegram, text: str) -> None:
    before = len(tg.chat_messages(ALICE))
    tg.send_text(ALICE, text, user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) > before, timeout=15)


async def healthcheck_command(port: int, tmp_path: Path) -> tuple[int, list[str]]:
    """`wenwen-bot healthcheck` as Docker runs it: a process with only the environment."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TELEGRAM_BOT_TOKEN": TOKEN}
    env |= {"WENWEN_API_KEY": API_KEY, "HEALTH_PORT": str(port), "HEALTH_LISTEN": "0.0.0.0"}
    process = await asyncio.create_subprocess_exec(
        *bot_command(),
        "healthcheck",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    output = (stdout + stderr).decode()
    assert "Traceback" not in output and TOKEN not in output and API_KEY not in output
    return int(process.returncode or 0), output.strip().splitlines()


async def test_healthz_is_ok_for_a_quiet_bot_and_reports_the_age_of_the_last_update(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any], tmp_path: Path
) -> None:
    port = free_port()
    await make_bot(health_port=port)
    response = await get(port, "/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    expected = {"status": "ok", "mode": "polling", "database": "writable", "last_update_age": None}
    assert response.json() == {**expected, "version": package_version()}
    assert package_version() not in ("", "unknown")  # the installed package's own version

    await say(tg, "hello")
    age = (await get(port, "/healthz")).json()["last_update_age"]
    assert isinstance(age, int | float) and 0 <= age < 15
    assert await healthcheck_command(port, tmp_path) == (0, ["healthcheck: ok"])
    # only GET, only these two paths; the probe's write is rolled back, never kept
    assert (await get(port, "/healthz", "POST")).status_code == 405
    assert (await get(port, "/", "GET")).status_code == 404


async def swap_writer_for_read_only(bot: RunningBot) -> None:
    """What a disk remounted read-only does: the writer connection can read but no longer write."""
    db = bot.services.storage.db
    path = bot.settings.database_path.resolve()
    read_only = await aiosqlite.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
    old, db._conn = db._conn, read_only
    db._writer = OneTripConnection(read_only)
    await old.close()


async def test_a_database_that_cannot_be_written_makes_healthz_503_and_the_healthcheck_fail(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any], tmp_path: Path
) -> None:
    port = free_port()
    bot = await make_bot(health_port=port)
    assert (await get(port, "/healthz")).status_code == 200
    await swap_writer_for_read_only(bot)

    response = await get(port, "/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy" and body["database"] == "not writable"
    assert body["problems"] == ["the database is not writable: attempt to write a readonly database"]
    code, lines = await healthcheck_command(port, tmp_path)
    assert code == 1 and len(lines) == 1
    assert "answered 503" in lines[0] and "readonly database" in lines[0]


async def test_a_write_lock_held_by_another_process_is_unhealthy_until_it_is_released(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "DB_PROBE_TIMEOUT", 0.3)
    port = free_port()
    bot = await make_bot(health_port=port)
    other = sqlite3.connect(bot.settings.database_path, isolation_level=None)  # e.g. a sqlite3 shell
    try:
        other.execute("BEGIN IMMEDIATE")
        response = await get(port, "/healthz")
        assert response.status_code == 503
        assert response.json()["problems"] == ["the database took no write within 0.3 s"]
        other.execute("ROLLBACK")
        for _ in range(50):  # the probe that waited gets the lock now; the next check is healthy
            if (await get(port, "/healthz")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("healthz stayed unhealthy after the lock was released")
    finally:
        other.close()


async def test_metrics_count_turns_and_calls_with_no_user_in_any_label(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any]
) -> None:
    port = free_port()
    await make_bot(health_port=port)
    before = await scrape(port)
    assert ("wenwen_turns_total", (("model", "gpt-4o-mini"), ("outcome", "ok"))) not in before

    await say(tg, "hello metrics")
    text = (await get(port, "/metrics")).text
    after = samples(text)
    model = (("model", "gpt-4o-mini"),)
    assert after[("wenwen_turns_total", (("model", "gpt-4o-mini"), ("outcome", "ok")))] == 1
    assert after[("wenwen_turn_seconds_count", model)] == 1
    assert after[("wenwen_turn_first_text_seconds_count", model)] == 1
    assert after[("wenwen_telegram_calls_total", (("method", "sendMessage"),))] >= 1
    assert after[("wenwen_database_bytes", ())] > 0
    assert after[("wenwen_updates_waiting", ())] == 0
    for state in MjStatus:
        assert after[("wenwen_mj_tasks", (("state", state.value),))] == 0
    labels = {value for _, pairs in after for _, value in pairs}
    assert not [value for value in labels if str(ALICE) in value or "hello" in value]
    assert "hello metrics" not in text
    # the bot's own registry: nothing in prometheus-client's process-wide default one
    assert not [name for name in prometheus_client.REGISTRY._names_to_collectors if name.startswith("wenwen")]


async def test_gateway_errors_429s_and_limit_refusals_are_counted(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any]
) -> None:
    port = free_port()
    await make_bot(health_port=port, daily_request_limit=1)
    ww.script(Reply(status=502, plain_body="<html>502 Bad Gateway</html>"), Reply(text="Recovered."))
    tg.fail_next("sendMessage", status=429, retry_after=1, chat_id=ALICE)
    await say(tg, "one")  # 502, retried, answered; its sendMessage is told to wait once
    await say(tg, "two")  # over the daily request limit: refused without a gateway call
    after = await scrape(port)
    assert after[("wenwen_gateway_errors_total", (("kind", "upstream"), ("status", "502")))] == 1
    assert after[("wenwen_telegram_retry_after_total", (("method", "sendMessage"),))] == 1
    assert after[("wenwen_daily_limit_refusals_total", (("limit", "requests"),))] == 1
    assert after[("wenwen_turns_total", (("model", "gpt-4o-mini"), ("outcome", "ok")))] == 1


async def test_webhook_mode_is_healthy_only_while_its_server_listens(
    tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path
) -> None:
    port = free_port()
    settings = make_settings(
        tg.base_url,
        ww.base_url,
        tmp_path / "db.sqlite3",
        webhook_url="https://bot.example.test/hook",
        webhook_listen="127.0.0.1",
        webhook_port=free_port(),
        health_port=port,
    )
    runner = RunningBot(settings)
    await runner.start_webhook(webhook_options(settings))
    try:
        response = await get(port, "/healthz")
        assert (response.status_code, response.json()["mode"]) == (200, "webhook")
        assert runner.webhook is not None
        await runner.webhook.stop()
        response = await get(port, "/healthz")
        assert response.status_code == 503
        assert response.json()["problems"] == ["the webhook server is not listening"]
    finally:
        await runner.stop()
    with pytest.raises(httpx.ConnectError):  # the health server stops with the bot
        await get(port, "/healthz")


async def test_a_taken_health_port_stops_the_command_with_one_line(
    tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TELEGRAM_BOT_TOKEN": TOKEN}
        env |= {"WENWEN_API_KEY": API_KEY, "TELEGRAM_API_URL": tg.base_url, "WENWEN_BASE_URL": ww.base_url}
        env |= {"DATABASE_PATH": str(tmp_path / "bot.sqlite3"), "HEALTH_PORT": str(port), "LOG_LEVEL": "WARNING"}
        process = await asyncio.create_subprocess_exec(
            *bot_command(), cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    lines = (stdout + stderr).decode().strip().splitlines()
    assert process.returncode == 1
    assert len(lines) == 1 and f"the health server cannot listen on 127.0.0.1:{port}" in lines[0], lines
