"""A flood of large unauthenticated POSTs against the real `wenwen-bot` process in webhook mode.

    python benchmarks/webhook_flood.py
    python benchmarks/webhook_flood.py --requests 4000 --concurrency 100

The bot runs as a child process (the installed `wenwen-bot` command) with WEBHOOK_URL set, against
FakeTelegram and FakeWenwen started in this process on 127.0.0.1. Its idle RSS is read from
/proc/<pid>/status; then raw sockets flood the webhook with requests that declare 5-50 MB bodies and
push a few MB each (most without the secret, some with it), while the child's VmRSS/VmHWM are sampled
and genuine updates keep arriving. See benchmarks/README.md for what each printed figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import faulthandler
import json
import math
import multiprocessing
import os
import random
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

# `python benchmarks/webhook_flood.py` puts benchmarks/ on sys.path, not the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.process import proc_cpu_seconds, proc_memory
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import API_KEY, TOKEN, bot_command

HOOK = "/tg-hook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MB = 1_048_576
PIECE = 64 * 1024
PROBE_CHAT = 20_000


# ---------------------------------------------------------------------------------------------- helpers


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def ms_summary(values: list[float]) -> str:
    if not values:
        return "n=0"
    ordered = sorted(values)
    p50, p95 = percentile(ordered, 50), percentile(ordered, 95)
    return f"n={len(ordered)}, p50 {p50 * 1000:.1f}, p95 {p95 * 1000:.1f}, max {ordered[-1] * 1000:.1f} ms"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------------------------- the flood


@dataclass(frozen=True)
class Attack:
    kind: str  # "no secret", "wrong secret", "secret, declared" or "secret, chunked"
    declared: int  # the Content-Length announced (0: chunked)
    push: int  # body bytes the client tries to send


@dataclass
class FloodResult:
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    latencies: list[float] = field(default_factory=list)  # connect -> status line read
    pushed: int = 0  # body bytes the kernel took before the server's reset
    wall: float = 0.0


def plan(args: argparse.Namespace, rng: random.Random) -> list[Attack]:
    attacks = []
    for _ in range(args.requests):
        push = rng.randint(MB + 2 * PIECE, args.push_mb * MB)  # chunked: always past the limit
        declared = rng.randint(args.min_declared_mb * MB, args.max_declared_mb * MB)
        roll = rng.random()
        if roll < args.authed * 0.7:
            attacks.append(Attack("secret, declared", declared, push))
        elif roll < args.authed:
            attacks.append(Attack("secret, chunked", 0, push))
        else:
            attacks.append(Attack(rng.choice(("no secret", "wrong secret")), declared, push))
    return attacks


def request_head(attack: Attack, secret: str) -> bytes:
    lines = [f"POST {HOOK} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    if attack.kind == "wrong secret":
        lines.append(f"{SECRET_HEADER}: {secrets.token_urlsafe(32)}")
    elif attack.kind.startswith("secret"):
        lines.append(f"{SECRET_HEADER}: {secret}")
    chunked = attack.kind == "secret, chunked"
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {attack.declared}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def attack_once(port: int, secret: str, attack: Attack, result: FloodResult) -> None:
    """Headers, body pieces until `push` bytes or the server's reset, then the status line."""
    loop = asyncio.get_running_loop()
    piece = b"x" * PIECE if attack.declared else b"%x\r\n" % PIECE + b" " * PIECE + b"\r\n"
    received = b""
    started = loop.time()
    with socket.socket() as sock:
        sock.setblocking(False)
        try:
            async with asyncio.timeout(30):
                await loop.sock_connect(sock, ("127.0.0.1", port))
                await loop.sock_sendall(sock, request_head(attack, secret))
                with contextlib.suppress(ConnectionError):  # the refusal resets the connection
                    for _ in range(attack.push // PIECE):
                        await loop.sock_sendall(sock, piece)
                        result.pushed += PIECE
                with contextlib.suppress(ConnectionError):  # the kernel keeps the answer past the reset
                    received = await loop.sock_recv(sock, 256)
        except TimeoutError:
            result.outcomes[f"{attack.kind}: TIMEOUT"] += 1
            return
        except OSError as error:
            result.outcomes[f"{attack.kind}: {type(error).__name__}"] += 1
            return
    result.latencies.append(loop.time() - started)
    status = received.split(b" ", 2)[1].decode() if received.startswith(b"HTTP/1.1 ") else "closed, no answer"
    result.outcomes[f"{attack.kind}: {status}"] += 1


async def flood(port: int, secret: str, attacks: list[Attack], concurrency: int) -> FloodResult:
    """`concurrency` connections at a time until every attack is sent."""
    result = FloodResult()
    queue = collections.deque(attacks)

    async def worker() -> None:
        while queue:
            await attack_once(port, secret, queue.popleft(), result)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.wall = time.monotonic() - started
    return result


def flood_in_process(port: int, secret: str, attacks: list[Attack], concurrency: int) -> FloodResult:
    """The flood in a process of its own: sharing a GIL with the fakes would slow their answers down."""
    return asyncio.run(flood(port, secret, attacks, concurrency))


# -------------------------------------------------------------------------------- the bot and probes


async def start_child(
    tg: FakeTelegram, ww: FakeWenwen, tmp: Path, port: int, secret: str
) -> asyncio.subprocess.Process:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "WENWEN_API_KEY": API_KEY,
        "TELEGRAM_API_URL": tg.base_url,
        "WENWEN_BASE_URL": ww.base_url,
        "DATABASE_PATH": str(tmp / "bot.sqlite3"),
        "ALLOWED_USER_IDS": "*",
        "WEBHOOK_URL": f"https://bot.example.test{HOOK}",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET": secret,
    }
    with (tmp / "bot.log").open("wb") as log:  # a file, not a pipe: nobody has to drain it during the flood
        process = await asyncio.create_subprocess_exec(*bot_command(), cwd=tmp, env=env, stdout=log, stderr=log)
    with contextlib.suppress(AssertionError):
        await tg.wait_for(lambda: bool(tg.calls_of("setWebhook")), timeout=30)  # sent once it listens
    if not tg.calls_of("setWebhook") or process.returncode is not None:
        process.kill()
        raise RuntimeError(f"the bot did not start: {(tmp / 'bot.log').read_text()[-2000:]}")
    return process


async def stop_child(process: asyncio.subprocess.Process) -> int | None:
    """SIGTERM, as a service manager would; None if it had to be killed."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), 20)
    except TimeoutError:
        process.kill()
        await process.wait()
        return None


@dataclass
class Probes:
    """Genuine updates posted during the flood (and after it)."""

    accepted: list[float] = field(default_factory=list)  # POST -> 200
    answered: list[float] = field(default_factory=list)  # POST -> the bot's answer in the chat
    failures: list[str] = field(default_factory=list)
    sent: int = 0


async def post(port: int, body: bytes, secret: str) -> int:
    """One authenticated POST on a fresh connection, as Telegram sends it; returns the status."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    try:
        head = f"POST {HOOK} HTTP/1.1\r\nHost: 127.0.0.1\r\n{SECRET_HEADER}: {secret}\r\n"
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        writer.write(head.encode() + body)
        line = await asyncio.wait_for(reader.readline(), 10)
        return int(line.split(b" ", 2)[1])
    finally:
        writer.close()


async def probe_once(tg: FakeTelegram, port: int, secret: str, probes: Probes) -> None:
    """A user's message, posted like Telegram would, and the time until the bot has answered it."""
    probes.sent += 1
    chat, text = PROBE_CHAT + probes.sent, f"probe {probes.sent}"
    tg.send_text(chat, text, first_name="Probe")
    body = json.dumps(tg.updates.pop()).encode()  # posted, not left queued for getUpdates
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        status = await post(port, body, secret)
    except (OSError, TimeoutError, ValueError, IndexError) as error:
        probes.failures.append(f"{text}: {type(error).__name__}")
        return
    probes.accepted.append(loop.time() - started)
    if status != 200:
        probes.failures.append(f"{text}: HTTP {status}")
        return
    try:
        await tg.wait_for(lambda: any(m.text == f"echo: {text}" for m in tg.chat_messages(chat)), timeout=30)
    except AssertionError:
        probes.failures.append(f"{text}: no answer within 30 s")
        return
    probes.answered.append(loop.time() - started)


async def keep_probing(tg: FakeTelegram, port: int, secret: str, probes: Probes, stop: asyncio.Event) -> None:
    """One genuine update every 0.2 s until `stop`; waits for the answers still outstanding."""
    running: list[asyncio.Task[None]] = []
    while not stop.is_set():
        running.append(asyncio.create_task(probe_once(tg, port, secret, probes)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.2)
    await asyncio.gather(*running)


async def loop_lag(lags: list[float], stop: asyncio.Event, interval: float = 0.05) -> None:
    """How late a 50 ms sleep wakes up here, where the fakes run: a busy loop delays the bot's answers."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(interval)
        lags.append(loop.time() - start - interval)


async def sample_memory(pid: int, samples: list[dict[str, float]], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(proc_memory(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.01)


# ------------------------------------------------------------------------------------ measurement


@dataclass
class Figures:
    idle: dict[str, float]
    during: list[dict[str, float]]
    after: dict[str, float]
    flood: FloodResult
    cpu: float  # the child's CPU seconds during the flood
    lags: list[float]  # event-loop lag of this process (the fakes) during the flood
    warmup: Probes
    probes: Probes
    after_probe: Probes


async def idle_status(pid: int) -> dict[str, float]:
    """The median VmRSS over one quiet second (and the VmHWM at its end)."""
    samples = []
    for _ in range(10):
        samples.append(proc_memory(pid))
        await asyncio.sleep(0.1)
    return {"VmRSS": statistics.median(s["VmRSS"] for s in samples), "VmHWM": samples[-1]["VmHWM"]}


async def measure(args: argparse.Namespace, tg: FakeTelegram, pid: int, port: int, secret: str) -> Figures:
    warmup = Probes()
    for _ in range(3):  # every code path of a normal turn loaded before the idle figure is taken
        await probe_once(tg, port, secret, warmup)
    await asyncio.sleep(args.settle)
    idle = await idle_status(pid)

    stop, samples, lags, probes = asyncio.Event(), [], [], Probes(sent=100)  # probe chats 20_101...
    attacks = plan(args, random.Random(args.seed))
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        await asyncio.get_running_loop().run_in_executor(pool, time.sleep, 0)  # the process is up
        helpers = [asyncio.create_task(sample_memory(pid, samples, stop))]
        helpers.append(asyncio.create_task(loop_lag(lags, stop)))
        helpers.append(asyncio.create_task(keep_probing(tg, port, secret, probes, stop)))
        cpu = proc_cpu_seconds(pid)
        job = (flood_in_process, port, secret, attacks, args.concurrency)
        result = await asyncio.get_running_loop().run_in_executor(pool, *job)
        cpu = proc_cpu_seconds(pid) - cpu
    stop.set()
    await asyncio.gather(*helpers)

    after_probe = Probes(sent=10_000)
    await probe_once(tg, port, secret, after_probe)
    await asyncio.sleep(1)
    after = proc_memory(pid)
    return Figures(idle, samples, after, result, cpu, lags, warmup, probes, after_probe)


# ------------------------------------------------------------------------------------------ report


def report(args: argparse.Namespace, f: Figures, exit_code: int | None, log_text: str, secret: str) -> None:
    flood = f.flood
    total = sum(flood.outcomes.values())
    print(
        f"webhook flood: {total} requests, {args.concurrency} connections at a time, declaring "
        f"{args.min_declared_mb}-{args.max_declared_mb} MB and pushing 1.1-{args.push_mb} MB each; "
        f"{args.authed:.0%} carry the secret"
    )
    rss = [s["VmRSS"] for s in f.during if "VmRSS" in s]
    peak = max(rss, default=float("nan"))
    hwm = max((s.get("VmHWM", 0.0) for s in f.during), default=0.0)
    print(
        f"child RSS MB: idle {f.idle['VmRSS']:.1f}, peak during the flood {peak:.1f} "
        f"(+{peak - f.idle['VmRSS']:.1f}), after {f.after.get('VmRSS', float('nan')):.1f}; "
        f"VmHWM before {f.idle['VmHWM']:.1f}, after {hwm:.1f} ({len(rss)} samples)"
    )
    refused = sum(n for outcome, n in flood.outcomes.items() if outcome.split(": ")[1] in ("403", "413"))
    print(
        f"refused: {refused}/{total} with 403/413 in {flood.wall:.2f} s -> {refused / flood.wall:.0f} requests/s; "
        f"{flood.pushed / MB:.0f} MB of body pushed into the kernel before the resets"
    )
    for outcome, count in sorted(flood.outcomes.items()):
        print(f"  {outcome:<34} {count:>6}")
    print(f"  connect -> answer: {ms_summary(flood.latencies)}")
    print(f"child CPU during the flood: {f.cpu:.2f} s user+sys ({f.cpu / flood.wall:.0%} of one core)")
    print(f"event-loop lag of the fakes (50 ms sleep overshoot): {ms_summary(f.lags)}")
    print_probes("genuine updates, warm-up", f.warmup)
    print_probes("genuine updates during the flood", f.probes)
    print_probes("genuine update after the flood", f.after_probe)
    leaked = [
        name for name, value in (("bot token", TOKEN.split(":")[1]), ("webhook secret", secret)) if value in log_text
    ]
    print(
        f"child: exit code {exit_code} after SIGTERM; log {len(log_text.splitlines())} lines, "
        f"{log_text.count('Traceback')} tracebacks, secrets in it: {', '.join(leaked) or 'none'}"
    )


def print_probes(title: str, probes: Probes) -> None:
    print(f"{title}: {len(probes.answered)} answered")
    print(f"  POST -> 200:    {ms_summary(probes.accepted)}")
    print(f"  POST -> answer: {ms_summary(probes.answered)}")
    for failure in probes.failures[:5]:
        print(f"  failed: {failure}")


# -------------------------------------------------------------------------------------------- main


async def run(args: argparse.Namespace) -> int:
    secret = secrets.token_urlsafe(32)
    tg, ww = FakeTelegram(token=TOKEN), FakeWenwen(api_key=API_KEY)
    await tg.start()
    await ww.start()
    try:
        with tempfile.TemporaryDirectory(prefix="wenwen-flood-") as tmp_name:
            tmp, port = Path(tmp_name), free_port()
            process = await start_child(tg, ww, tmp, port, secret)
            try:
                figures = await measure(args, tg, process.pid, port, secret)
            finally:
                exit_code = await stop_child(process)
            report(args, figures, exit_code, (tmp / "bot.log").read_text(errors="replace"), secret)
    finally:
        await ww.stop()
        await tg.stop()
    ok = exit_code == 0 and not figures.probes.failures and not figures.after_probe.failures
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python benchmarks/webhook_flood.py", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="flood requests in total (default 2000)")
    parser.add_argument("--concurrency", type=int, default=50, help="connections at a time (default 50)")
    parser.add_argument("--min-declared-mb", type=int, default=5, help="smallest declared body, MB (default 5)")
    parser.add_argument("--max-declared-mb", type=int, default=50, help="largest declared body, MB (default 50)")
    parser.add_argument("--push-mb", type=int, default=4, help="each request pushes 1..N MB (default 4)")
    parser.add_argument("--authed", type=float, default=0.1, help="share sent with the secret (default 0.1)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds of quiet before idle RSS (default 2)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for the flood plan (default 1)")
    parser.add_argument("--timeout", type=float, default=600.0, help="hard limit in seconds (default 600)")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or not 1 <= args.min_declared_mb <= args.max_declared_mb:
        parser.error("--requests and --concurrency must be >= 1, 1 <= --min-declared-mb <= --max-declared-mb")
    if args.push_mb < 1 or not 0 <= args.authed <= 1:
        parser.error("--push-mb must be >= 1 and --authed between 0 and 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    faulthandler.dump_traceback_later(args.timeout, exit=True)  # a hang dumps every stack and exits
    code = asyncio.run(run(args))
    faulthandler.cancel_dump_traceback_later()
    return code


if __name__ == "__main__":
    sys.exit(main())
