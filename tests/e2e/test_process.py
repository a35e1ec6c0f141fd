"""The `wenwen-bot` command as users run it: a real process, polling and webhook modes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import httpx
import pytest

from bot.__main__ import webhook_options
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ALICE, API_KEY, TOKEN, RunningBot, bot_command, make_settings


async def test_the_command_starts_answers_and_stops_cleanly_without_leaking_secrets(
    tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path
) -> None:
    database = tmp_path / "not" / "yet" / "there.sqlite3"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "WENWEN_API_KEY": API_KEY,
        "TELEGRAM_API_URL": tg.base_url,
        "WENWEN_BASE_URL": ww.base_url,
        "DATABASE_PATH": str(database),
        "ALLOWED_USER_IDS": str(ALICE),
        "LOG_LEVEL": "DEBUG",  # even at DEBUG nothing secret may be printed
    }
    process = await asyncio.create_subprocess_exec(
        *bot_command(), cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        await tg.wait_for(lambda: bool(tg.calls_of("getUpdates")), timeout=20)
        tg.send_text(ALICE, "hello process", user_id=ALICE)
        await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)), timeout=20)
        assert tg.chat_messages(ALICE)[0].text == "echo: hello process"
        assert database.exists()
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    output = (stdout + stderr).decode()
    assert process.returncode == 0, output[-2000:]
    assert "turn chat=1001" in output
    assert "event loop: uvloop" in output  # installed with the bot: the loop's own work in C
    assert TOKEN.split(":")[1] not in output
    assert API_KEY not in output
    assert "Traceback" not in output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_checks_the_secret_token(tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path) -> None:
    port = _free_port()
    settings = make_settings(
        tg.base_url,
        ww.base_url,
        tmp_path / "db.sqlite3",
        webhook_url="https://bot.example.test/tg-hook",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret="s3cret-token",
    )
    runner = RunningBot(settings)
    runner_app_started = False
    try:
        await runner.start_webhook(webhook_options(settings))
        runner_app_started = True
        set_webhook = tg.calls_of("setWebhook")[-1].params
        assert set_webhook["url"] == "https://bot.example.test/tg-hook"
        assert set_webhook["secret_token"] == "s3cret-token"
        update = {
            "update_id": 1,
            "message": {
                "message_id": 5,
                "date": 1,
                "chat": {"id": ALICE, "type": "private", "first_name": "Alice"},
                "from": {"id": ALICE, "is_bot": False, "first_name": "Alice"},
                "text": "via webhook",
            },
        }
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{port}/tg-hook"
            refused = await client.post(url, json=update)
            wrong = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            accepted = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"})
        assert (refused.status_code, wrong.status_code, accepted.status_code) == (403, 403, 200)
        await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
        assert tg.chat_messages(ALICE)[0].text == "echo: via webhook"
        assert len(ww.requests_to("/v1/chat/completions")) == 1
    finally:
        if runner_app_started:
            await runner.stop()


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"WENWEN_API_KEY": API_KEY}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN}, "WENWEN_API_KEY"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "WENWEN_API_KEY": API_KEY, "ADMIN_USER_IDS": "12,abc"}, "ADMIN_USER_IDS"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "WENWEN_API_KEY": API_KEY, "WENWEN_BASE_URL": "api.wenwen"}, "WENWEN_BASE_URL"),
    ],
)
async def test_bad_settings_stop_the_command_with_one_line(tmp_path: Path, env: dict[str, str], variable: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *bot_command(),
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 2
    assert len(lines) == 1 and variable in lines[0], lines
    assert TOKEN not in lines[0] and API_KEY not in lines[0]
