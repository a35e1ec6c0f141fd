"""One `wenwen-bot` process vs two on one PostgreSQL, in webhook mode behind a round-robin proxy.

    python -m benchmarks.replicas
    python -m benchmarks.replicas --chats 60 --turns 3 --processes 1 2

For each process count: a fresh PostgreSQL schema (WENWEN_TEST_POSTGRES_URL, or a server started from the
`postgresql` package's binaries as the tests do), that many bot processes (REPLICAS set to the count, so the
bot-wide Telegram budget is the same in total), FakeTelegram and FakeWenwen in this process, and a small
round-robin proxy. Every chat sends its turns one after another (the next once the answer is shown); a
turn's latency runs from the POST of its update to its answer in the chat. Printed: turns/s over the whole
run and the latency's p50/p95/max. Production settings otherwise (STREAM_INTERVAL_PRIVATE 1 s, which most
of the latency is: the final answer waits for the throttle).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.process import bot_environment
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import API_KEY, TOKEN, bot_command
from tests.postgres import fresh_schema, local_server

HOOK = "/tg-hook"
SECRET = "benchmark-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_CHAT = 40_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]


@contextlib.asynccontextmanager
async def proxy(ports: list[int]) -> AsyncIterator[str]:
    turn = 0

    async def forward(request: web.Request) -> web.Response:
        nonlocal turn
        port = ports[turn % len(ports)]
        turn += 1
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        async with session.post(f"http://127.0.0.1:{port}{HOOK}", data=await request.read(), headers=headers) as r:
            return web.Response(status=r.status, body=await r.read())

    app = web.Application()
    app.router.add_post(HOOK, forward)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with aiohttp.ClientSession() as session:
        try:
            yield f"http://127.0.0.1:{port}{HOOK}"
        finally:
            await runner.cleanup()


async def start_bots(
    count: int, tg: FakeTelegram, ww: FakeWenwen, url: str, folder: Path, chats: int, replicas: int
) -> list[Any]:
    processes, ports = [], []
    for n in range(count):
        port = free_port()
        env = bot_environment(
            tg.base_url,
            ww.base_url,
            folder,
            DATABASE_URL=url,
            ALLOWED_USER_IDS=",".join(str(FIRST_CHAT + c) for c in range(chats)),
            WEBHOOK_URL=f"https://bot.example.test{HOOK}",
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET=SECRET,
            REPLICAS=str(replicas),
            TITLE_MODEL="off",
        )
        log = (folder / f"bot{n}.log").open("wb")
        processes.append(await asyncio.create_subprocess_exec(*bot_command(), env=env, stdout=log, stderr=log))
        ports.append(port)
    await tg.wait_for(lambda: len(tg.calls_of("setWebhook")) >= count, timeout=60)
    return [processes, ports]


async def run(count: int, chats: int, turns: int, admin_url: str, *, full_budget: bool) -> dict[str, float]:
    tg, ww = FakeTelegram(token=TOKEN), FakeWenwen(api_key=API_KEY)
    await tg.start()
    await ww.start()
    ww.default_reply = lambda text: Reply(text=f"echo: {text}", chunks=10, delay=0.02)
    latencies: list[float] = []
    with tempfile.TemporaryDirectory(prefix="wenwen-replicas-") as folder:
        async with fresh_schema(admin_url) as url:
            replicas = 1 if full_budget else count
            processes, ports = await start_bots(count, tg, ww, url, Path(folder), chats, replicas)
            try:
                async with proxy(ports) as hook, httpx.AsyncClient(timeout=60) as client:

                    async def chat(chat_id: int) -> None:
                        for n in range(turns):
                            text = f"c{chat_id} t{n}"
                            tg.send_text(chat_id, text, user_id=chat_id)
                            update = tg.updates.pop()
                            began = time.perf_counter()
                            answer = await client.post(hook, json=update)
                            assert answer.status_code == 200, answer.status_code
                            await tg.wait_for(
                                lambda text=text: any(m.text == f"echo: {text}" for m in tg.chat_messages(chat_id)),
                                timeout=120,
                            )
                            latencies.append(time.perf_counter() - began)

                    began = time.perf_counter()
                    await asyncio.gather(*(chat(FIRST_CHAT + c) for c in range(chats)))
                    wall = time.perf_counter() - began
            finally:
                for process in processes:
                    process.send_signal(signal.SIGTERM)
                for process in processes:
                    await process.wait()
    await ww.stop()
    await tg.stop()
    return {
        "turns_per_s": len(latencies) / wall,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "max": max(latencies),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=40)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--full-budget",
        action="store_true",
        help="REPLICAS=1 in every process: each may send 30/s (more than Telegram allows the bot; the fake does not "
        "mind), to see what the processes themselves carry",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        admin = os.environ.get("WENWEN_TEST_POSTGRES_URL") or stack.enter_context(local_server())
        budget = "each process the whole budget" if args.full_budget else "the budget shared (REPLICAS)"
        print(f"{args.chats} chats x {args.turns} turns, PostgreSQL, webhook behind a round-robin proxy, {budget}")
        for count in args.processes:
            figures = await run(count, args.chats, args.turns, admin, full_budget=args.full_budget)
            print(
                f"{count} process(es): {figures['turns_per_s']:.1f} turns/s, latency p50 {figures['p50']:.2f} s, "
                f"p95 {figures['p95']:.2f} s, max {figures['max']:.2f} s"
            )


if __name__ == "__main__":
    asyncio.run(main())
