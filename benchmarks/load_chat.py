"""Concurrent private chats against the real bot, with FakeTelegram and FakeWenwen on 127.0.0.1.

    python -m benchmarks.load_chat --chats 40 --turns 3 --chunks 30 --chunk-delay 0.02

N private chats (chat id = user id = 10_000 + i) each send M text messages, one after another: the
next one as soon as the previous answer is complete in the chat. The bot runs in this process with
long polling (tests.harness.RunningBot), production stream throttling (Settings defaults) and a
temporary database. See benchmarks/README.md for what each printed figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import faulthandler
import logging
import math
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "1")  # as in tests/conftest.py

from bot.config import Settings
from tests.fakes.telegram_api import Call, FakeTelegram
from tests.fakes.wenwen import FakeWenwen, RecordedRequest, Reply
from tests.harness import API_KEY, TOKEN, RunningBot, make_settings

CHAT_BASE = 10_000
CHAT_PATH = "/v1/chat/completions"
VISIBLE = frozenset({"sendMessageDraft", "sendMessage", "editMessageText"})
FINAL = frozenset({"sendMessage", "editMessageText"})  # calls that can complete an answer in the chat
CURSOR_CHARS = "▌"
WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore "
    "et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris"
).split()
# Production values for what tests.harness.make_settings overrides with test-friendly ones.
PRODUCTION_FIELDS = ("stream_interval_private", "stream_interval_group", "wenwen_retries")


# ---------------------------------------------------------------------------------------------- helpers


def answer_text(length: int) -> str:
    """Plain words (no Markdown), so the rendered answer is the text itself."""
    out: list[str] = []
    size = 0
    index = 0
    while size < length:
        word = WORDS[index % len(WORDS)]
        out.append(word)
        size += len(word) + 1
        index += 1
    return " ".join(out)[:length].rstrip()


def compact(text: str) -> str:
    """Text without whitespace or the streaming cursor: message splitting may move whitespace around."""
    return "".join(text.replace(CURSOR_CHARS, "").split())


def rss_mb() -> float | None:
    """Current resident set size (Linux /proc), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def peak_per_second(times: Iterable[float]) -> int:
    """The largest number of events inside any 1-second window."""
    ordered = sorted(times)
    best = start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


class EndlessReplies(collections.deque):  # type: ignore[type-arg]
    """Stands in for FakeWenwen.chat_replies: every chat request gets a fresh copy of the same reply."""

    def __init__(self, make: Callable[[], Reply]) -> None:
        super().__init__()
        self._make = make

    def __bool__(self) -> bool:
        return True

    def popleft(self) -> Reply:
        return self._make()


class WarningCounter(logging.Handler):
    """Counts WARNING+ records per logger and keeps the first few, as evidence of trouble."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: collections.Counter[str] = collections.Counter()
        self.samples: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname} {record.name}"] += 1
        if len(self.samples) < 5:
            self.samples.append(f"{record.levelname} {record.name}: {record.getMessage()[:200]}")


# ------------------------------------------------------------------------------------------- the load


class TurnFailed(Exception):
    pass


@dataclass
class ChatRun:
    chat_id: int
    sent_at: list[float] = field(default_factory=list)  # loop.time() when the user's message was queued
    texts: list[str] = field(default_factory=list)  # the user's messages
    finals: list[Call] = field(default_factory=list)  # the call that completed each answer
    msg_ids: list[int] = field(default_factory=list)  # bot messages of the current turn
    done: asyncio.Future[Call] | None = None
    failure: str | None = None


class Watcher:
    """Follows FakeTelegram.calls (public API only) and tells each chat when its answer is complete.

    A turn is complete when the bot's messages sent during it hold exactly the scripted answer
    (whitespace aside); a message that is not a prefix of it (an error text) fails the turn.
    With ``expected`` None, the turn's first sent message completes it, whatever it says.
    """

    def __init__(self, tg: FakeTelegram, chats: dict[int, ChatRun], expected: str | None) -> None:
        self.tg = tg
        self.chats = chats
        self.expected = None if expected is None else compact(expected)
        self.cursor = 0
        self.pending: list[Call] = []

    def _ready(self) -> bool:
        return len(self.tg.calls) > self.cursor or any(call.status for call in self.pending)

    async def run(self) -> None:
        while True:
            with contextlib.suppress(AssertionError):  # wait_for's own timeout: just wait again
                await self.tg.wait_for(self._ready, timeout=3600)
            self._drain()

    def _drain(self) -> None:
        calls = self.tg.calls
        while self.cursor < len(calls):
            call = calls[self.cursor]
            self.cursor += 1
            if call.method in FINAL:
                self.pending.append(call)
        waiting: list[Call] = []
        for call in self.pending:
            if call.status == 0:
                waiting.append(call)
            else:
                self._finished(call)
        self.pending = waiting

    def _finished(self, call: Call) -> None:
        if not call.ok:
            return
        run = self.chats.get(call.params.get("chat_id"))  # type: ignore[arg-type]
        if run is None or run.done is None or run.done.done():
            return
        if call.method == "sendMessage" and isinstance(call.result, dict):
            run.msg_ids.append(int(call.result["message_id"]))
        if self.expected is None:
            if run.msg_ids:
                run.done.set_result(call)
            return
        shown = ""
        for message_id in run.msg_ids:
            message = self.tg.get_message(run.chat_id, message_id)
            shown += compact(message.text or "") if message is not None else ""
        if shown == self.expected:
            run.done.set_result(call)
        elif not self.expected.startswith(shown):
            run.done.set_exception(TurnFailed(f"unexpected text in chat {run.chat_id}: {shown[:120]!r}"))


async def drive_chat(tg: FakeTelegram, run: ChatRun, turns: int) -> None:
    """The chat's turns one after another; the overall timeout (run_benchmark) bounds the waiting."""
    loop = asyncio.get_running_loop()
    for turn in range(turns):
        run.msg_ids = []
        run.done = loop.create_future()
        text = f"chat {run.chat_id} turn {turn}: tell me something"
        run.texts.append(text)
        run.sent_at.append(loop.time())
        tg.send_text(run.chat_id, text, first_name=f"User{run.chat_id}")
        try:
            run.finals.append(await run.done)
        except TurnFailed as error:
            run.failure = f"turn {turn}: {error}"
            return


async def lag_probe(ww: FakeWenwen, lags: list[float], streams: list[int], interval: float = 0.05) -> None:
    """Event-loop lag (how late a 50 ms sleep wakes up) and open upstream streams, sampled."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(interval)
        lags.append(loop.time() - start - interval)
        streams.append(ww.streams_open)


# ------------------------------------------------------------------------------------------ the report


@dataclass
class Row:
    name: str
    values: list[float]


def latency_rows(
    chats: dict[int, ChatRun], requests: list[RecordedRequest], calls: list[Call]
) -> tuple[list[Row], list[str]]:
    problems: list[str] = []
    by_text: dict[str, RecordedRequest] = {}
    for request in requests:
        messages = (request.json or {}).get("messages") or []
        content = messages[-1].get("content") if messages and isinstance(messages[-1], dict) else None
        if isinstance(content, str):
            by_text[content] = request  # the last attempt wins if the bot retried
    visible: dict[int, list[Call]] = collections.defaultdict(list)
    for call in calls:
        if call.method in VISIBLE and call.ok and str(call.params.get("text") or "").strip():
            visible[call.params.get("chat_id")].append(call)  # type: ignore[index]

    first, final, to_upstream, to_final = [], [], [], []
    missing_hook = 0
    for run in chats.values():
        for turn, text in enumerate(run.texts):
            done = run.finals[turn] if turn < len(run.finals) else None  # None: not completed
            request = by_text.get(text)
            if request is None:
                problems.append(f"chat {run.chat_id} turn {turn}: no upstream request found")
                continue
            to_upstream.append(request.time - run.sent_at[turn])
            end = math.inf if done is None else done.time
            first_at = request.extra.get("first_chunk_at")
            last_at = request.extra.get("last_chunk_at")
            if first_at is None:
                missing_hook += 1
                first_at = request.time  # + Reply.first_delay, which is 0 here
            shown = next((c for c in visible[run.chat_id] if first_at <= c.time <= end), None)
            if shown is not None:
                first.append(shown.time - first_at)
            if done is None:
                continue
            to_final.append(done.time - run.sent_at[turn])
            if last_at is not None:
                final.append(done.time - last_at)
    if missing_hook:
        problems.append(
            f"{missing_hook} upstream requests without extra['first_chunk_at'/'last_chunk_at'] "
            "(tests/fakes/wenwen/format_sse.py hook missing): 'first visible' measured from the request time, "
            "'final' not measured"
        )
    rows = [
        Row("first visible (1st chunk -> text on screen)", first),
        Row("final (last chunk -> final sendMessage)", final),
        Row("user message -> upstream request", to_upstream),
        Row("user message -> final answer", to_final),
    ]
    return rows, problems


def print_table(rows: list[Row]) -> None:
    width = max(len(row.name) for row in rows)
    print(f"  {'latency, ms':<{width}} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}")
    for row in rows:
        if not row.values:
            print(f"  {row.name:<{width}} {0:>5} {'-':>8} {'-':>8} {'-':>8}")
            continue
        ordered = sorted(row.values)
        cells = [percentile(ordered, 50), percentile(ordered, 95), ordered[-1]]
        print(f"  {row.name:<{width}} {len(ordered):>5} " + " ".join(f"{v * 1000:>8.1f}" for v in cells))


# ------------------------------------------------------------------------------------------------- main


@dataclass
class Figures:
    """Everything the report needs, snapshotted when the load phase ends."""

    args: argparse.Namespace
    production: dict[str, Any]
    clock_skew: float
    expected: str
    chats: dict[int, ChatRun]
    calls: list[Call]
    requests: list[RecordedRequest]
    disconnects: int
    lags: list[float]
    streams: list[int]
    wall: float
    load_seconds: float
    cpu: float
    rss_fakes: float | None
    rss_before: float | None
    rss_after: float | None
    timed_out: bool
    warnings: WarningCounter


def report(f: Figures) -> int:
    args, chats, calls = f.args, f.chats, f.calls
    done_turns = sum(len(r.finals) for r in chats.values())
    planned = args.chats * args.turns
    print(
        f"wenwen-bot load: {args.chats} private chats x {args.turns} turns; answer {len(f.expected)} chars in "
        f"{args.chunks} chunks, {args.chunk_delay * 1000:.0f} ms apart"
    )
    print(
        "settings: stream_interval_private={stream_interval_private} s, stream_interval_group="
        "{stream_interval_group} s, wenwen_retries={wenwen_retries} (Settings defaults)".format(**f.production)
    )
    same = "same clock" if abs(f.clock_skew) < 0.005 else "DIFFERENT CLOCKS: latencies are wrong"
    print(f"clock: loop.time() - time.monotonic() = {f.clock_skew * 1e6:+.1f} us ({same})")
    status = "ok" if done_turns == planned else "INCOMPLETE"
    if f.timed_out:
        in_flight = sum(len(r.texts) for r in chats.values()) - done_turns
        status = f"TIMED OUT after {f.load_seconds:.0f} s; {in_flight} turns in flight"
    print(f"turns: {done_turns}/{planned} completed in {f.wall:.2f} s -> {done_turns / f.wall:.2f} turns/s  [{status}]")
    rows, problems = latency_rows(chats, f.requests, calls)
    rows.append(Row("event-loop lag (50 ms sleep overshoot)", f.lags))
    print_table(rows)

    per = max(done_turns, 1)
    by_method = collections.Counter(c.method for c in calls)
    failed = collections.Counter(f"{c.method} {c.status}" for c in calls if c.status != 200)
    print(
        f"Telegram calls per completed turn: {len(calls) / per:.2f} ({len(calls)} calls, "
        f"{sum(failed.values())} not ok; getUpdates excluded)"
    )
    for method, count in by_method.most_common():
        print(f"  {method:<22} {count / per:>6.2f}  ({count})")
    for what, count in failed.most_common():
        print(f"  not ok: {what} x{count}")
    print(
        f"Telegram call rate: peak {peak_per_second(c.time for c in calls)} calls in any 1 s, "
        f"mean {len(calls) / max(f.load_seconds, 1e-9):.1f}/s"
    )
    print(
        f"wenwen: {len(f.requests)} chat requests for {done_turns} turns, peak {max(f.streams, default=0)} streams "
        f"open, {f.disconnects} client disconnects"
    )

    def mb(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.1f}"

    print(
        f"RSS MB (whole process, fakes included): fakes only {mb(f.rss_fakes)}, before load {mb(f.rss_before)}, "
        f"after load {mb(f.rss_after)}, peak (ru_maxrss) {mb(peak_rss_mb())}"
    )
    print(f"CPU: {f.cpu:.2f} s user+sys in {f.load_seconds:.2f} s of load ({f.cpu / f.load_seconds * 100:.0f} %)")
    print(f"log records >= WARNING: {sum(f.warnings.counts.values())}")
    for name, count in f.warnings.counts.most_common(5):
        print(f"  {name} x{count}")
    for sample in f.warnings.samples:
        print(f"    e.g. {sample}")
    for run in chats.values():
        if run.failure is None and len(run.finals) < len(run.texts):
            run.failure = f"turn {len(run.finals)}: no complete answer when the load phase ended"
        if run.failure:
            problems.append(f"chat {run.chat_id}: {run.failure}")
    for problem in problems[:10]:
        print(f"problem: {problem}")
    if len(problems) > 10:
        print(f"problem: ... and {len(problems) - 10} more")
    sys.stdout.flush()
    return 1 if f.timed_out or done_turns < planned else 0


async def run_benchmark(args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + args.timeout
    clock_skew = loop.time() - time.monotonic()
    expected = answer_text(args.text_len)
    warnings = WarningCounter()
    logging.getLogger().addHandler(warnings)

    ww = FakeWenwen(api_key=API_KEY)
    ww.chat_replies = EndlessReplies(lambda: Reply(text=expected, chunks=args.chunks, delay=args.chunk_delay))
    tg = FakeTelegram(token=TOKEN)
    production = {name: Settings.model_fields[name].default for name in PRODUCTION_FIELDS}
    chats = {CHAT_BASE + i: ChatRun(CHAT_BASE + i) for i in range(args.chats)}
    lags: list[float] = []
    streams: list[int] = []

    with tempfile.TemporaryDirectory(prefix="wenwen-bench-") as tmp:
        bot: RunningBot | None = None
        try:
            async with asyncio.timeout(30):
                await tg.start()
                await ww.start()
                rss_fakes = rss_mb()
                settings = make_settings(
                    tg.base_url, ww.base_url, Path(tmp) / "db" / "bot.sqlite3", allowed_user_ids="*", **production
                )
                bot = RunningBot(settings)
                await bot.start()
                # let the background command-menu registration finish so it stays out of the figures
                with contextlib.suppress(AssertionError):
                    await tg.wait_for(lambda: sum(c.ok for c in tg.calls_of("setMyCommands")) >= 4, timeout=5)
                await asyncio.sleep(0.2)

            watcher = Watcher(tg, chats, expected)
            helpers = [asyncio.create_task(watcher.run()), asyncio.create_task(lag_probe(ww, lags, streams))]
            first_call, first_request = len(tg.calls), len(ww.requests)
            rss_before = rss_mb()
            cpu_start = cpu_seconds()
            started = loop.time()
            budget = max(1.0, deadline - loop.time() - 25)  # leave time for the report and shutdown
            timed_out = False
            try:
                async with asyncio.timeout(budget):
                    await asyncio.gather(*(drive_chat(tg, run, args.turns) for run in chats.values()))
            except TimeoutError:
                timed_out = True
            load_seconds = loop.time() - started
            complete = all(len(r.finals) == args.turns for r in chats.values())
            ended = max((r.finals[-1].time for r in chats.values() if r.finals), default=loop.time())
            figures = Figures(
                args=args,
                production=production,
                clock_skew=clock_skew,
                expected=expected,
                chats=chats,
                calls=[c for c in tg.calls[first_call:] if c.method != "getUpdates"],
                requests=[r for r in ww.requests[first_request:] if r.path == CHAT_PATH],
                disconnects=ww.disconnects,
                lags=list(lags),
                streams=list(streams),
                wall=max(ended - started if complete else load_seconds, 1e-9),
                load_seconds=load_seconds,
                cpu=cpu_seconds() - cpu_start,
                rss_fakes=rss_fakes,
                rss_before=rss_before,
                rss_after=rss_mb(),
                timed_out=timed_out,
                warnings=warnings,
            )
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            code = report(figures)
        finally:
            clean = await shutdown(bot, ww, tg)
    if not clean:
        # A handler is still stuck (e.g. in the rate limiter), so storage was never closed and its
        # worker thread would keep the interpreter alive: leave now, the figures are printed.
        print("shutdown: the bot did not stop within 15 s; exiting without waiting for it", flush=True)
        sys.stderr.flush()
        os._exit(code or 2)
    return code


async def shutdown(bot: RunningBot | None, ww: FakeWenwen, tg: FakeTelegram) -> bool:
    clean = True
    if bot is not None:
        try:
            await asyncio.wait_for(bot.stop(), 15)
        except TimeoutError:
            clean = False
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ww.stop(), 5)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(tg.stop(), 5)
    return clean


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load_chat", description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=40, help="concurrent private chats (default 40)")
    parser.add_argument("--turns", type=int, default=3, help="messages per chat, one after another (default 3)")
    parser.add_argument("--chunks", type=int, default=30, help="content chunks per upstream answer (default 30)")
    parser.add_argument("--chunk-delay", type=float, default=0.02, help="seconds between chunks (default 0.02)")
    parser.add_argument("--text-len", type=int, default=600, help="answer length in characters (default 600)")
    parser.add_argument("--timeout", type=float, default=300.0, help="overall limit in seconds (default 300)")
    args = parser.parse_args(argv)
    if args.chats < 1 or args.turns < 1 or args.chunks < 1 or args.text_len < 1 or args.chunk_delay < 0:
        parser.error("--chats, --turns, --chunks and --text-len must be >= 1, --chunk-delay >= 0")
    if args.timeout < 30:
        parser.error("--timeout must be at least 30 s")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)  # bot.logging_setup puts the "telegram" logger at INFO
    # Hard stop if something hangs past the asyncio timeouts: dump every thread's stack and exit.
    faulthandler.dump_traceback_later(args.timeout + 30, exit=True)
    code = asyncio.run(run_benchmark(args))
    faulthandler.cancel_dump_traceback_later()
    return code


if __name__ == "__main__":
    sys.exit(main())
