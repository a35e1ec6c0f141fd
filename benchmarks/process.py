"""The bot as a child process for benchmarks that measure it alone (its memory, not the fakes')."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path
from typing import IO

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


def proc_cpu_times(pid: int, tid: int | None = None) -> tuple[float, float]:
    """User and system CPU seconds of a process (or of its thread `tid`) so far; zeros once it is gone."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    try:
        with open(path, encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()  # the command name may hold spaces
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick  # utime, stime


def proc_cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User + system CPU time of a process (or of its thread `tid`) so far; 0.0 once it is gone."""
    return sum(proc_cpu_times(pid, tid))


async def start_bot(
    env: dict[str, str], folder: Path, command: list[str] | None = None, log: Path | None = None
) -> asyncio.subprocess.Process:
    """`command` (default: the bot) in `folder`; its stderr goes to the file `log`, else to a pipe
    that `stop_bot` reads at the end (keep it short: a full pipe blocks the child)."""
    if log is None:
        stderr: int | IO[bytes] = asyncio.subprocess.PIPE
    else:
        stderr = log.open("ab")  # the child keeps its own descriptor; ours closes below
    try:
        return await asyncio.create_subprocess_exec(
            *(command or bot_command()), cwd=folder, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr
        )
    finally:
        if log is not None and not isinstance(stderr, int):
            stderr.close()


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
