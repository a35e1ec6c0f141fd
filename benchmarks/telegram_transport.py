"""CPU per Bot API call: PTB's default `HTTPXRequest` against the bot's `AiohttpRequest`.

    python -m benchmarks.telegram_transport [--calls 2000] [--runs 3]

The project's fake Telegram runs on its own event loop in a second thread; the calls are made from the
main thread, whose CPU (`time.thread_time`) is what a call costs the bot. Each run sends `--calls`
`sendMessage` calls through a `telegram.Bot` at 1, 50 and 200 calls in flight, once per transport, so
the two are compared within one run. Prints the milliseconds of CPU per call, each run and the median.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from benchmarks.threaded_fake import FakeInThread
from bot.telegram_http import AiohttpRequest
from tests.fakes.telegram_api import FakeTelegram
from tests.harness import TOKEN

DEPTHS = (1, 50, 200)
TRANSPORTS: dict[str, Callable[[], BaseRequest]] = {
    "httpx (PTB default)": lambda: HTTPXRequest(connection_pool_size=256, read_timeout=30, pool_timeout=30),
    "aiohttp (the bot's)": lambda: AiohttpRequest(read_timeout=30),
}


async def cpu_per_call(base_url: str, make: Callable[[], BaseRequest], calls: int, depth: int) -> float:
    bot = Bot(TOKEN, base_url=f"{base_url}/bot", request=make(), get_updates_request=make())
    async with bot:
        await bot.send_message(1, "warm-up")
        slots = asyncio.Semaphore(depth)

        async def one(number: int) -> None:
            async with slots:
                await bot.send_message(1 + number % 200, f"message {number}")

        started = time.thread_time()
        await asyncio.gather(*(one(number) for number in range(calls)))
        return (time.thread_time() - started) / calls * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    figures: dict[tuple[str, int], list[float]] = {}
    with FakeInThread(FakeTelegram(token=TOKEN)) as fake:
        for run in range(1, args.runs + 1):
            for depth in DEPTHS:
                for name, make in TRANSPORTS.items():
                    value = asyncio.run(cpu_per_call(fake.base_url, make, args.calls, depth))
                    figures.setdefault((name, depth), []).append(value)
                    print(f"run {run}: {name:<20} {depth:>3} in flight: {value:.3f} ms CPU a call", flush=True)
    print(f"\nmedian of {args.runs} runs, ms of the caller's CPU per sendMessage ({args.calls} calls a run)")
    print(f"{'transport':<20} " + " ".join(f"{depth:>4} in flight" for depth in DEPTHS))
    for name in TRANSPORTS:
        cells = " ".join(f"{statistics.median(figures[(name, depth)]):>12.3f}" for depth in DEPTHS)
        print(f"{name:<20} {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
