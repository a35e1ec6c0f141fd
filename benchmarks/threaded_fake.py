"""A fake server on its own event loop and thread, so a benchmark can count only its caller's CPU
(`time.thread_time()` of the main thread)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Generic, Protocol, TypeVar


class Fake(Protocol):
    async def start(self) -> Any: ...
    async def stop(self) -> Any: ...


F = TypeVar("F", bound=Fake)


class FakeInThread(Generic[F]):
    """The fake on its own loop and thread, so its CPU is not the caller's."""

    def __init__(self, fake: F) -> None:
        self.fake = fake
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self.fake.start())
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> F:
        self._thread.start()
        self._ready.wait(10)
        return self.fake

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
