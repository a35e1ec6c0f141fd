"""A stop (SIGTERM/SIGINT) while answers are written: they get SHUTDOWN_GRACE seconds, then end as partial."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from storage import MessageStatus, Storage
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, API_KEY, TOKEN, bot_command

GROUP = -100424242


def env_for(tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path, grace: float) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "WENWEN_API_KEY": API_KEY,
        "TELEGRAM_API_URL": tg.base_url,
        "WENWEN_BASE_URL": ww.base_url,
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "ALLOWED_USER_IDS": str(ALICE),
        "SHUTDOWN_GRACE": str(grace),
        "STREAM_INTERVAL_GROUP": "0.5",
    }


async def test_sigterm_during_a_long_answer_leaves_it_partial_with_a_note_and_exits_in_time(
    tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path
) -> None:
    hold = asyncio.Event()
    ww.script(Reply(text="the first words of a very long answer " * 5, chunks=8, hold=hold))
    process = await asyncio.create_subprocess_exec(
        *bot_command(), cwd=tmp_path, env=env_for(tg, ww, tmp_path, 1.0), stderr=asyncio.subprocess.PIPE
    )
    mention = f"@{tg.bot_user['username']}"
    tg.send_text(GROUP, f"{mention} tell me everything", user_id=ALICE, chat_type="supergroup")
    await ww.wait_for(lambda: ww.streams_open == 1, timeout=20)
    await tg.wait_for(lambda: bool(tg.chat_messages(GROUP)), timeout=10)  # the live preview
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    took = time.monotonic() - started
    hold.set()
    assert process.returncode == 0, stderr.decode()[-1500:]
    assert took < 1.0 + 2.0 + 1.5  # SHUTDOWN_GRACE + 2 s (and the interpreter's own exit)
    [shown] = tg.chat_messages(GROUP)
    assert "the first words" in (shown.text or "") and "interrupted by a restart" in (shown.text or "")
    assert "▌" not in (shown.text or "") and "stop" not in str(shown.reply_markup)  # no cursor, no dead ⏹
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        stored = await storage.conversations.all_messages(1)
    finally:
        await storage.close()
    assert stored[-1].role == "assistant" and stored[-1].status == MessageStatus.PARTIAL
    assert stored[-1].delivered


async def test_a_message_sent_while_the_bot_stops_is_answered_after_the_next_start(
    tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path
) -> None:
    env = env_for(tg, ww, tmp_path, 0.5)
    first = await asyncio.create_subprocess_exec(*bot_command(), cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE)
    await tg.wait_for(lambda: bool(tg.calls_of("getUpdates")), timeout=20)
    first.send_signal(signal.SIGTERM)
    tg.send_text(ALICE, "are you there?", user_id=ALICE)  # arrives while it stops
    await asyncio.wait_for(first.communicate(), timeout=20)
    second = await asyncio.create_subprocess_exec(*bot_command(), cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE)
    try:
        await tg.wait_for(lambda: any(m.text == "echo: are you there?" for m in tg.chat_messages(ALICE)), timeout=20)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.communicate(), timeout=20)
    assert [m.text for m in tg.chat_messages(ALICE)] == ["echo: are you there?"]
