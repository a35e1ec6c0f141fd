"""The real `wenwen-bot` command as a subprocess: started, SIGKILLed and restarted on one database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping
from pathlib import Path

import bot
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import API_KEY, TOKEN, bot_command

SOURCE_ROOT = Path(bot.__file__).resolve().parents[1]  # the code this test process imports, run by the child too


class BotProcess:
    """One bot at a time; every run's stdout and stderr go to one log file."""

    def __init__(
        self, tg: FakeTelegram, ww: FakeWenwen, workdir: Path, *, allowed: str, env: Mapping[str, str] | None = None
    ) -> None:
        self.tg = tg
        self.workdir = workdir
        self.db_path = workdir / "bot.sqlite3"
        self.log_path = workdir / "bot.log"
        self.env = {
            "PATH": os.environ["PATH"],
            "HOME": str(workdir),
            "PYTHONPATH": str(SOURCE_ROOT),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WENWEN_API_KEY": API_KEY,
            "TELEGRAM_API_URL": tg.base_url,
            "WENWEN_BASE_URL": ww.base_url,
            "DATABASE_PATH": str(self.db_path),
            "ALLOWED_USER_IDS": allowed,
            "LOG_LEVEL": "INFO",
            **(env or {}),
        }
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.kills = 0
        self.kill_times: list[float] = []  # loop.time() of each SIGKILL (the fakes stamp calls with it)

    async def start(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Start the command and wait until it polls for updates."""
        assert self.process is None, "one bot at a time"
        polls = len(self.tg.calls_of("getUpdates"))
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.starts + 1} =====\n".encode())
            log.flush()
            self.process = await asyncio.create_subprocess_exec(
                *bot_command(), cwd=self.workdir, env=self.env, stdout=log, stderr=log
            )
        self.starts += 1
        await self.tg.wait_for(lambda: len(self.tg.calls_of("getUpdates")) > polls, timeout=timeout)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, sockets close with the process."""
        process, self.process = self.process, None
        assert process is not None
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        self.kill_times.append(asyncio.get_running_loop().time())
        await process.wait()
        self.kills += 1

    async def stop(self, timeout: float = 30.0) -> int | None:  # noqa: ASYNC109
        """SIGINT, as Ctrl+C: the return code (None if it had to be killed)."""
        process, self.process = self.process, None
        if process is None:
            return None
        process.send_signal(signal.SIGINT)
        try:
            async with asyncio.timeout(timeout):
                return await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
            return None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
