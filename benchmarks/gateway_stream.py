"""CPU per streamed answer: httpx + httpx-sse (the gateway client before) against `GatewayStreams` (aiohttp).

    python -m benchmarks.gateway_stream [--answers 200] [--runs 3]

The project's fake wenwen runs on its own loop in a second thread and streams each answer as the busy-hour
benchmark does (30 content chunks 10 ms apart); the main thread opens `--answers` answers at once and reads
every event, so its CPU (`time.thread_time`) is what receiving answers costs the bot. Both clients run in
each run; prints ms of CPU per answer, each run and the median.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
from httpx_sse import aconnect_sse

from benchmarks.load_chat import EndlessReplies
from benchmarks.threaded_fake import FakeInThread
from bot.wenwen.streaming import GatewayStreams
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import API_KEY

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}], "stream": True}
PATH = "/v1/chat/completions"


async def with_httpx(base_url: str, answers: int) -> int:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=50)  # as GatewayHttp had them
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60) as client:

        async def one() -> int:
            async with aconnect_sse(client, "POST", PATH, json=BODY) as source:
                return len([event async for event in source.aiter_sse()])

        return sum(await asyncio.gather(*(one() for _ in range(answers))))


async def with_aiohttp(base_url: str, answers: int) -> int:
    streams = GatewayStreams(base_url, API_KEY, connect_timeout=10, read_timeout=60)
    try:

        async def one() -> int:
            async with streams.open(PATH, BODY, {"Accept": "text/event-stream"}) as answer:
                return len([event async for event in answer.events()])

        return sum(await asyncio.gather(*(one() for _ in range(answers))))
    finally:
        await streams.aclose()


CLIENTS: dict[str, Callable[[str, int], Awaitable[int]]] = {
    "httpx + httpx-sse": with_httpx,
    "aiohttp (the bot's)": with_aiohttp,
}


async def cpu_per_answer(client: Callable[[str, int], Awaitable[int]], base_url: str, answers: int) -> float:
    started = time.thread_time()
    events = await client(base_url, answers)
    assert events >= answers * 30, f"only {events} events for {answers} answers"
    return (time.thread_time() - started) / answers * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=200, help="answers streaming at once (default 200)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    fake = FakeWenwen(api_key=API_KEY)
    fake.chat_replies = EndlessReplies(lambda: Reply(text="word " * 120, chunks=30, delay=0.01))
    figures: dict[str, list[float]] = {}
    with FakeInThread(fake) as running:
        for run in range(1, args.runs + 1):
            for name, client in CLIENTS.items():
                value = asyncio.run(cpu_per_answer(client, running.base_url, args.answers))
                figures.setdefault(name, []).append(value)
                print(f"run {run}: {name:<20} {value:.2f} ms CPU an answer", flush=True)
    print(f"\nmedian of {args.runs} runs, {args.answers} answers at once, 30 chunks each:")
    for name, values in figures.items():
        print(f"  {name:<20} {statistics.median(values):.2f} ms of the caller's CPU an answer")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
