"""The bookkeeping both backends keep of their writes: which are under way (a read waits for the ones
other tasks started before it), and whether any is (close() lets them finish)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


class WriteTracker:
    """The writes started and not yet done, each with the task that runs it.

    A write counts from the moment it starts waiting for the write lock, not from when it gets it: a read
    after it, or a close, must not slip in while it waits.
    """

    def __init__(self) -> None:
        self._in_flight: dict[asyncio.Future[None], asyncio.Task[Any] | None] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[None]:
        """Count the write this wraps until it ends, however it ends."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._in_flight[done] = asyncio.current_task()
        self._idle.clear()
        try:
            yield
        finally:
            del self._in_flight[done]
            done.set_result(None)
            if not self._in_flight:
                self._idle.set()

    async def wait_for_earlier(self) -> None:
        """Read after write: wait for the writes other tasks started before now (never for this task's own).

        Writes take the write lock in the order they start, so they end in that order: waiting for the
        newest one is waiting for all (then a check that none is left). Handing asyncio.wait every one of
        them cost each read time in proportion to the writes in flight: quadratic with a thousand chats.
        """
        me = asyncio.current_task()
        earlier = [done for done, task in self._in_flight.items() if task is not me]
        while earlier:
            if not earlier[-1].done():
                await asyncio.wait((earlier[-1],))
            earlier = [done for done in earlier if not done.done()]

    async def idle(self, grace: float) -> None:
        """Return once no write is under way, or after `grace` seconds, whichever is first."""
        await asyncio.sleep(0)  # a write just scheduled (asyncio.shield) gets to start and be counted
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)
