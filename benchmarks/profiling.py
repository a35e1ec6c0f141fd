"""Profiles of the bot child for `benchmarks/busy_hour.py --profile`: py-spy (sampling) or cProfile.

py-spy attaches to the running bot for the load phase only (`--nonblocking`: the bot is never paused)
and writes collapsed stacks (`--format raw --function`: one line per distinct stack, ending in its
sample count). cProfile runs the whole bot process (`benchmarks/profiled_bot.py`), start-up included.
Either way the top functions are printed by cumulative time (on the stack) and by own time (running).
"""

from __future__ import annotations

import asyncio
import collections
import io
import pstats
import re
import shutil
import signal
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

SPY_RATE = 200  # samples a second
ROOT = str(Path(__file__).resolve().parents[1]) + "/"
STDLIB = sysconfig.get_paths()["stdlib"] + "/"
_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>.*?)(?::\d+)?\)$")


def short_frame(frame: str) -> str:
    """`name (path:line)` with the path cut after site-packages/ or the repository root."""
    match = _FRAME.match(frame)
    if match is None:
        return frame
    path = match["file"]
    for marker in ("site-packages/", ROOT, STDLIB):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['name']} ({path})"


async def start_spy(pid: int, out: Path) -> asyncio.subprocess.Process:
    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install py-spy (or use --profile cprofile)")
    command = [spy, "record", "--pid", str(pid), "--rate", str(SPY_RATE), "--format", "raw", "--function"]
    process = await asyncio.create_subprocess_exec(
        *command,
        "--nonblocking",
        "-o",
        str(out),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    await asyncio.sleep(0.5)  # attached and sampling
    return process


async def stop_spy(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    except TimeoutError:
        process.kill()
        _, stderr = await process.communicate()
    text = stderr.decode(errors="replace").strip()
    if process.returncode not in (0, -signal.SIGINT) and text:
        print("py-spy:", *text.splitlines()[-5:], sep="\n  ")


@dataclass
class Samples:
    """py-spy samples of one group of threads, per function: on the stack (once per sample) and at its top."""

    cumulative: collections.Counter[str] = field(default_factory=collections.Counter)
    own: collections.Counter[str] = field(default_factory=collections.Counter)
    total: int = 0


def read_collapsed(path: Path) -> dict[str, Samples]:
    """The main thread's samples and the other threads' (stacks rooted in `Thread._bootstrap`)."""
    groups = {"main thread": Samples(), "other threads": Samples()}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [short_frame(frame) for frame in stack.split(";")]
        other = any(frame.startswith("Thread._bootstrap ") for frame in frames[:2])
        group = groups["other threads" if other else "main thread"]  # a cut-short stack counts as main
        group.total += count
        group.own[frames[-1]] += count
        for frame in set(frames):
            group.cumulative[frame] += count
    return groups


def print_spy(path: Path, top: int = 25) -> None:
    if not path.exists():
        print(f"profile: py-spy wrote no file ({path})")
        return
    groups = read_collapsed(path)
    every = sum(group.total for group in groups.values())
    print(f"profile (py-spy, {every} samples at {SPY_RATE}/s while a thread of the bot was busy):")
    for name, group in groups.items():
        shown = top if name == "main thread" else 5
        print(f"  {name}: {group.total} samples = {group.total / SPY_RATE:.1f} s busy")
        for title, counter in (("cumulative (on the stack)", group.cumulative), ("own (top of the stack)", group.own)):
            print(f"    top {shown} by {title}: share of its samples, seconds")
            for frame, count in counter.most_common(shown):
                print(f"      {count / max(group.total, 1) * 100:5.1f} % {count / SPY_RATE:7.2f} s  {frame}")


def print_pstats(path: Path, top: int = 25) -> None:
    if not path.exists():
        print(f"profile: cProfile wrote no stats ({path}): did the bot stop cleanly?")
        return
    for order, title in (("cumulative", "cumulative time"), ("tottime", "own time")):
        out = io.StringIO()
        stats = pstats.Stats(str(path), stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
        body = out.getvalue()
        start = body.find("   ncalls")
        print(f"profile (cProfile, whole bot process, start-up included): top {top} by {title}")
        print("\n".join("  " + line for line in body[start:].rstrip().splitlines()))
