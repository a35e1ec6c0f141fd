"""The busy hour: many private chats at once against the bot as its own process, flood control on.

    python -m benchmarks.busy_hour --chats 200 --turns 1
    python -m benchmarks.busy_hour --table --runs 3
    python -m benchmarks.busy_hour --chats 40 --turns 3 --profile

The bot runs as a child process (`wenwen-bot`, production settings, ALLOWED_USER_IDS="*", long polling),
so its CPU (/proc/<pid>/stat) and peak RSS (VmHWM) are its own. FakeTelegram, with Telegram's flood
control on (30 message calls/s over all chats, 20/min per group), and FakeWenwen (every chat request gets
the same reply in 30 chunks 10 ms apart) run in this process, and every latency is taken from their
records (one clock: loop.time() == time.monotonic()). The load itself (chats, turns, the watcher that
says when an answer is complete, the latency pairing) is benchmarks/load_chat.py's. `--bot echo` runs
benchmarks/echo_bot.py (a bare PTB bot) instead, as the CPU baseline. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load_chat import (
    CHAT_BASE,
    CHAT_PATH,
    ChatRun,
    EndlessReplies,
    Watcher,
    answer_text,
    cpu_seconds,
    drive_chat,
    lag_probe,
    latency_rows,
    peak_per_second,
    percentile,
)
from benchmarks.process import bot_environment, proc_cpu_seconds, proc_cpu_times, proc_memory, start_bot, stop_bot
from benchmarks.profiling import print_pstats, print_spy, start_spy, stop_spy
from tests.fakes.telegram_api import FLOOD_COUNTED, Call, FakeTelegram
from tests.fakes.wenwen import FakeWenwen, RecordedRequest, Reply
from tests.harness import API_KEY, TOKEN

ROOT = Path(__file__).resolve().parents[1]
LATE_AFTER = 40.0  # seconds: "answers delivered within 40 s each"
# The bot's start-up jobs are done this long after its first poll: the commands menu, and the recovery of
# unfinished answers 3 s after start (bot.app.RECOVERY_DELAY), which would take turns in flight for those.
START_SETTLE = 4.0
END_SETTLE = 0.5  # after the last answer: the turns' trailing writes still count as their CPU
Figures = dict[str, float]


@dataclass(frozen=True)
class Scenario:
    chats: int
    turns: int
    bot: str = "wenwen"  # or "echo": benchmarks/echo_bot.py

    @property
    def name(self) -> str:
        return f"{'echo ' if self.bot == 'echo' else ''}{self.chats}x{self.turns}"


@dataclass(frozen=True)
class Target:
    label: str
    scenario: Scenario
    figure: str
    unit: str  # "ms" and "s" (figures in seconds), "n", "MB"
    limit: float | None  # None: shown for comparison only
    note: str = ""


S8, S40, S200, S1000 = Scenario(8, 3), Scenario(40, 3), Scenario(200, 1), Scenario(1000, 1)
ECHO40, ECHO200 = Scenario(40, 3, "echo"), Scenario(200, 1, "echo")
TABLE = (
    Target("8x3: first text after the upstream's first chunk, p95", S8, "first_p95", "ms", 0.050),
    Target("8x3: final after the upstream's last chunk, p95", S8, "final_p95", "ms", 0.050),
    Target("200x1: user message -> request at the gateway, p50", S200, "gateway_p50", "ms", 0.100),
    Target("200x1: user message -> request at the gateway, p95", S200, "gateway_p95", "ms", 0.500),
    Target("200x1: user message -> final answer, p95", S200, "answer_p95", "s", 7.5),
    Target("40x3: Telegram 429 refusals", S40, "refusals", "n", 0),
    Target("200x1: Telegram 429 refusals", S200, "refusals", "n", 0),
    Target("40x3: first text after the upstream's first chunk, p95", S40, "first_p95", "ms", 0.100),
    Target("40x3: CPU per turn, bot process", S40, "cpu_turn", "ms", 0.008),
    Target("200x1: CPU per turn, bot process", S200, "cpu_turn", "ms", 0.015),
    Target("bare PTB echo bot 40x3: CPU per message", ECHO40, "cpu_turn", "ms", None, "compare: 5 ms"),
    Target("bare PTB echo bot 200x1: CPU per message", ECHO200, "cpu_turn", "ms", None, "compare: 9 ms"),
    Target("1000x1: answers not delivered within 40 s", S1000, "late", "n", 0),
    Target("1000x1: slowest answer, user message -> final", S1000, "answer_max", "s", LATE_AFTER),
    Target("1000x1: Telegram 429 refusals", S1000, "refusals", "n", 0),
    Target("1000x1: peak RSS of the bot (VmHWM)", S1000, "rss_peak", "MB", 150),
)


# ------------------------------------------------------------------------------------------- one run


def child_command(scenario: Scenario, profile: str | None, folder: Path) -> list[str] | None:
    if scenario.bot == "echo":
        return [sys.executable, str(ROOT / "benchmarks" / "echo_bot.py")]
    if profile == "cprofile":
        return [sys.executable, "-m", "benchmarks.profiled_bot", str(folder / "bot.prof")]
    return None  # the installed bot: benchmarks.process.bot_command()


async def child_ready(tg: FakeTelegram, scenario: Scenario) -> None:
    """Polling, and (the wenwen bot) its commands menu registered and its start-up jobs behind it."""
    await tg.wait_for(lambda: bool(tg.calls_of("getUpdates")), timeout=30)
    polling_since = tg.calls_of("getUpdates")[0].time  # the bot's job queue started just before
    if scenario.bot == "wenwen":
        with contextlib.suppress(AssertionError):
            await tg.wait_for(lambda: sum(c.ok for c in tg.calls_of("setMyCommands")) >= 4, timeout=10)
    settle = START_SETTLE if scenario.bot == "wenwen" else 0.5
    await asyncio.sleep(max(0.5, polling_since + settle - asyncio.get_running_loop().time()))


def answer_times(chats: dict[int, ChatRun]) -> list[float]:
    """User message -> the call that completed its answer, for every completed turn."""
    return [run.finals[i].time - run.sent_at[i] for run in chats.values() for i in range(len(run.finals))]


def pct(values: list[float], p: float) -> float:
    return percentile(sorted(values), p) if values else math.nan


def summarize(chats: dict[int, ChatRun], calls: list[Call], requests: list[RecordedRequest], refusals: int) -> Figures:
    """The figures of one run, from the fakes' records (benchmarks.load_chat.latency_rows pairs them)."""
    planned = sum(len(run.texts) for run in chats.values())
    answers = answer_times(chats)
    figures: Figures = {
        "planned": planned,
        "completed": len(answers),
        "answer_p50": pct(answers, 50),
        "answer_p95": pct(answers, 95),
        "answer_max": max(answers, default=math.nan),
        "late": planned - sum(t <= LATE_AFTER for t in answers),
        "refusals": refusals,
        "not_ok": sum(c.status != 200 for c in calls),
        "peak_rate": peak_per_second(c.time for c in calls if c.method in FLOOD_COUNTED and c.ok),
        "requests": len(requests),
    }
    if requests:
        first, final, gateway, _ = (row.values for row in latency_rows(chats, requests, calls)[0])
        for name, values in (("first", first), ("final", final), ("gateway", gateway)):
            figures[f"{name}_p50"], figures[f"{name}_p95"] = pct(values, 50), pct(values, 95)
    return figures


async def load(tg: FakeTelegram, ww: FakeWenwen, pid: int, scenario: Scenario, args: argparse.Namespace) -> Figures:
    loop = asyncio.get_running_loop()
    chats = {CHAT_BASE + i: ChatRun(CHAT_BASE + i) for i in range(scenario.chats)}
    expected = answer_text(args.text_len) if scenario.bot == "wenwen" else None
    lags: list[float] = []
    helpers = [asyncio.create_task(Watcher(tg, chats, expected).run()), asyncio.create_task(lag_probe(ww, lags, []))]
    first_call, first_request, first_refusal = len(tg.calls), len(ww.requests), len(tg.flood_refusals)
    idle = proc_memory(pid).get("VmRSS", math.nan)
    main_before = proc_cpu_seconds(pid, pid)  # the main thread: the event loop (the rest: sqlite, resolver)
    (user_before, sys_before), fakes_before, started = proc_cpu_times(pid), cpu_seconds(), loop.time()
    limit = args.timeout or 60 + scenario.chats * scenario.turns / 15
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(limit):
            await asyncio.gather(*(drive_chat(tg, run, scenario.turns) for run in chats.values()))
    wall = loop.time() - started
    await asyncio.sleep(END_SETTLE)
    user, system = (
        after - before for after, before in zip(proc_cpu_times(pid), (user_before, sys_before), strict=True)
    )
    cpu, fakes_cpu = user + system, cpu_seconds() - fakes_before
    cpu_loop = proc_cpu_seconds(pid, pid) - main_before
    memory = proc_memory(pid)
    for task in helpers:
        task.cancel()
    await asyncio.gather(*helpers, return_exceptions=True)
    calls = [c for c in tg.calls[first_call:] if c.method != "getUpdates"]
    requests = [r for r in ww.requests[first_request:] if r.path == CHAT_PATH]
    methods = Counter(c.method for c in tg.calls[first_call:])
    print("    Bot API calls: " + ", ".join(f"{name} {count}" for name, count in methods.most_common()))
    figures = summarize(chats, calls, requests, len(tg.flood_refusals) - first_refusal)
    figures |= {
        "wall": wall,
        "cpu": cpu,
        "cpu_turn": cpu / max(figures["completed"], 1),
        "cpu_loop": cpu_loop,
        "cpu_sys": system,
        "rss_idle": idle,
        "rss_peak": memory.get("VmHWM", math.nan),
        "fakes_cpu": fakes_cpu,
        "fakes_lag_p95": pct(lags, 95),
    }
    return figures


def log_summary(log: Path) -> str:
    """Line count of the child's stderr, its warnings and errors, and the first few of them."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    bad = [line for line in lines if " WARNING " in line or " ERROR " in line or "Traceback" in line]
    shown = "".join(f"\n      {line[:200]}" for line in bad[:3])
    return f"bot log: {len(lines)} lines, {len(bad)} warnings/errors/tracebacks{shown}"


async def run_once(scenario: Scenario, args: argparse.Namespace) -> Figures:
    """Fresh fakes, a fresh bot process and a fresh database: one run of the scenario."""
    tg, ww = FakeTelegram(token=TOKEN), FakeWenwen(api_key=API_KEY)
    if args.flood_control and scenario.bot == "wenwen":
        tg.enable_flood_control()
    text = answer_text(args.text_len)
    ww.chat_replies = EndlessReplies(
        lambda: Reply(text=text, chunks=args.chunks, delay=args.chunk_delay, first_delay=args.first_delay)
    )
    await tg.start()
    await ww.start()
    try:
        with tempfile.TemporaryDirectory(prefix="wenwen-busy-") as tmp:
            folder = Path(tmp)
            # Titles off: the table measures turns; a conversation's title is one more small request
            # after its first answer (`--env TITLE_MODEL=gpt-4o-mini` puts it back, to see what it costs).
            defaults = {"ALLOWED_USER_IDS": "*", "PYTHONPATH": str(ROOT), "TITLE_MODEL": "off"}
            extra = defaults | dict(e.split("=", 1) for e in args.env)
            env = bot_environment(tg.base_url, ww.base_url, folder, **extra)
            log = folder / "bot.log"
            process = await start_bot(env, folder, child_command(scenario, args.profile, folder), log)
            spy: asyncio.subprocess.Process | None = None
            try:
                await child_ready(tg, scenario)
                if args.profile == "py-spy":
                    spy = await start_spy(process.pid, folder / "spy.txt")
                figures = await load(tg, ww, process.pid, scenario, args)
            finally:
                if spy is not None:
                    await stop_spy(spy)
                await stop_bot(process)
                print(f"    {log_summary(log)}")
            profile = folder / ("spy.txt" if args.profile == "py-spy" else "bot.prof")
            if args.profile == "py-spy":
                print_spy(profile)
            elif args.profile == "cprofile":
                print_pstats(profile)
            if args.profile_file and profile.exists():
                shutil.copyfile(profile, args.profile_file)
            return figures
    finally:
        await ww.stop()
        await tg.stop()


# ------------------------------------------------------------------------------------------ the report


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.0f} ms"


def run_line(scenario: Scenario, number: int, f: Figures) -> str:
    line = (
        f"  {scenario.name} run {number}: {f['completed']:.0f}/{f['planned']:.0f} turns in {f['wall']:.1f} s"
        f" | answer p50 {f['answer_p50']:.2f} s p95 {f['answer_p95']:.2f} s max {f['answer_max']:.2f} s"
    )
    if "first_p95" in f:
        line += (
            f" | gateway p50 {ms(f['gateway_p50'])} p95 {ms(f['gateway_p95'])}"
            f" | first text p95 {ms(f['first_p95'])} | final p95 {ms(f['final_p95'])}"
        )
    return line + (
        f" | 429 x{f['refusals']:.0f}, not ok {f['not_ok']:.0f}, peak {f['peak_rate']:.0f} msg calls/s"
        f" | CPU {f['cpu']:.2f} s ({f['cpu_loop']:.2f} s main thread, {f['cpu_sys']:.2f} s sys)"
        f" = {f['cpu_turn'] * 1000:.1f} ms/turn"
        f" | RSS idle {f['rss_idle']:.0f} MB"
        f" peak {f['rss_peak']:.0f} MB | {f['requests']:.0f} gateway requests"
        f" | fakes: CPU {f['fakes_cpu']:.2f} s, loop lag p95 {ms(f['fakes_lag_p95'])}"
    )


def median(values: list[float]) -> float:
    known = [v for v in values if not math.isnan(v)]
    return statistics.median(known) if known else math.nan


def shown(value: float, unit: str) -> str:
    if math.isnan(value):
        return "-"
    if unit == "ms":
        return f"{value * 1000:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    return f"{value:.0f}" + (" MB" if unit == "MB" else "")


def print_table(results: dict[Scenario, list[Figures]]) -> None:
    width = max(len(t.label) for t in TABLE)
    runs = max(len(v) for v in results.values())
    print(f"\n{'figure':<{width}}  {'target':>12}  {'median':>10}  {'the ' + str(runs) + ' runs':<32} status")
    for target in TABLE:
        values = [f.get(target.figure, math.nan) for f in results.get(target.scenario, [])]
        value = median(values)
        if target.limit is None:
            goal, status = "-", target.note
        else:
            goal = "<= " + shown(target.limit, target.unit)
            status = "ok" if value <= target.limit else "MISSED"  # nan (not measured) is MISSED
        each = ", ".join(shown(v, target.unit) for v in values)
        print(f"{target.label:<{width}}  {goal:>12}  {shown(value, target.unit):>10}  {each:<32} {status}")


# How print_medians shows each figure (the others are counts).
UNITS = dict.fromkeys(
    ("answer_p50", "answer_p95", "answer_max", "wall", "cpu", "cpu_loop", "cpu_sys", "fakes_cpu"), "s"
)
UNITS |= dict.fromkeys(("cpu_turn", "fakes_lag_p95"), "ms") | {"rss_idle": "MB", "rss_peak": "MB"}
UNITS |= {f"{name}_{p}": "ms" for name in ("first", "final", "gateway") for p in ("p50", "p95")}


def print_medians(scenario: Scenario, runs: list[Figures]) -> None:
    cells = [
        f"{key} {shown(median([f.get(key, math.nan) for f in runs]), UNITS.get(key, 'n'))}"
        for key in runs[0]
        if key != "planned"
    ]
    print(f"  {scenario.name}, medians of {len(runs)}: " + ", ".join(cells))


async def run_all(args: argparse.Namespace) -> int:
    scenarios = (
        list(dict.fromkeys(t.scenario for t in TABLE)) if args.table else [Scenario(args.chats, args.turns, args.bot)]
    )
    flood = "on: 30 msg calls/s over all chats, 20/min per group" if args.flood_control else "OFF"
    skew = asyncio.get_running_loop().time() - time.monotonic()
    print(
        f"busy hour: {', '.join(s.name for s in scenarios)}; {args.runs} run(s) each; fake wenwen answers "
        f"{args.text_len} chars in {args.chunks} chunks {args.chunk_delay * 1000:.0f} ms apart; Telegram flood "
        f"control {flood} (the echo bot has no limiter and runs without it); clock skew {skew * 1e6:+.0f} us",
        flush=True,
    )
    results: dict[Scenario, list[Figures]] = {s: [] for s in scenarios}
    for number in range(1, args.runs + 1):
        for scenario in scenarios:  # interleaved: a slow minute on the machine hits every scenario alike
            figures = await run_once(scenario, args)
            results[scenario].append(figures)
            print(run_line(scenario, number, figures), flush=True)
    print()
    for scenario, runs in results.items():
        print_medians(scenario, runs)
    if args.table:
        print_table(results)
    complete = all(f["completed"] == f["planned"] for runs in results.values() for f in runs)
    return 0 if complete else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.busy_hour", description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200, help="concurrent private chats (default 200)")
    parser.add_argument("--turns", type=int, default=1, help="messages per chat, one after another (default 1)")
    parser.add_argument("--bot", choices=("wenwen", "echo"), default="wenwen", help="the bot under load")
    parser.add_argument("--table", action="store_true", help="run every load of the issue's table, print it")
    parser.add_argument("--runs", type=int, default=1, help="runs of each scenario; medians are printed")
    parser.add_argument("--chunks", type=int, default=30, help="content chunks per upstream answer (default 30)")
    parser.add_argument("--chunk-delay", type=float, default=0.01, help="seconds between chunks (default 0.01)")
    parser.add_argument(
        "--first-delay",
        type=float,
        default=0.0,
        help="seconds the gateway waits before answering (default 0); e.g. 15 holds every stream back, so the "
        "gateway figures show the bot's work before a request alone",
    )
    parser.add_argument("--text-len", type=int, default=600, help="answer length in characters (default 600)")
    parser.add_argument(
        "--no-flood-control", dest="flood_control", action="store_false", help="fake Telegram unlimited"
    )
    parser.add_argument(
        "--profile", nargs="?", const="py-spy", choices=("py-spy", "cprofile"), help="profile the bot (py-spy)"
    )
    parser.add_argument("--profile-file", help="keep the profile here (py-spy: collapsed stacks; cProfile: pstats)")
    parser.add_argument("--env", action="append", default=[], help="extra NAME=VALUE for the bot process")
    parser.add_argument("--timeout", type=float, default=0.0, help="load-phase limit per run (default: by size)")
    args = parser.parse_args(argv)
    if args.chats < 1 or args.turns < 1 or args.runs < 1 or args.chunks < 1:
        parser.error("--chats, --turns, --runs and --chunks must be >= 1")
    if (args.profile and args.table) or (args.profile == "cprofile" and args.bot == "echo"):
        parser.error("--profile profiles one scenario, not --table (and cprofile only the wenwen bot)")
    if any("=" not in item for item in args.env):
        parser.error("--env takes NAME=VALUE")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(run_all(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
