"""The bot as a child process for benchmarks that measure it alone (its memory, not the fakes')."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

from tests.harness import API_KEY, TOKEN, bot_command


def bot_environment(telegram_url: str, wenwen_url: str, folder: Path, **settings: str) -> dict[str, str]:
    """Production settings (no test overrides) pointed at the fakes; `settings` adds or replaces variables."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(folder),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "WENWEN_API_KEY": API_KEY,
        "TELEGRAM_API_URL": telegram_url,
        "WENWEN_BASE_URL": wenwen_url,
        "DATABASE_PATH": str(folder / "bot.sqlite3"),
        "LOG_LEVEL": "WARNING",
        **settings,
    }


def proc_memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process in MB; empty once it is gone."""
    values: dict[str, float] = {}
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values


async def start_bot(env: dict[str, str], folder: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *bot_command(), cwd=folder, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )


async def stop_bot(process: asyncio.subprocess.Process, grace: float = 30.0) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), grace)
    except TimeoutError:
        process.kill()
        _, stderr = await process.communicate()
    if stderr and stderr.strip():
        print("bot stderr (last lines):", *stderr.decode(errors="replace").splitlines()[-40:], sep="\n  ")
