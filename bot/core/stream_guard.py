"""Reading a stream until it ends or a stop is asked for."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

T = TypeVar("T")

_READ_AHEAD = 64  # items the reader may hold before the consumer takes them (SSE chunks are small)


class _End:
    """What the reader puts last: the source ended (or was stopped), or raised `error`."""

    __slots__ = ("error",)

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error


class _Reader(Generic[T]):
    """Reads `source` in a task of its own, so a stop cancels the read and never the consumer.

    (Racing every read against the stop event with a new task and asyncio.wait cost more than
    reading the chunk; one task per stream and a queue cost about a future per chunk.)
    """

    def __init__(self, source: AsyncIterator[T]) -> None:
        self.items: asyncio.Queue[T | _End] = asyncio.Queue(_READ_AHEAD)
        self.task = asyncio.ensure_future(self._read(source))

    async def _read(self, source: AsyncIterator[T]) -> None:
        end = _End()
        try:
            async for item in source:
                await self.items.put(item)
        except asyncio.CancelledError:
            pass  # stopped (or the consumer left): end quietly
        except Exception as error:  # handed to the consumer, raised there
            end = _End(error)
        finally:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:  # closes the upstream HTTP response: nobody pays for unseen tokens
                with contextlib.suppress(BaseException):
                    await aclose()
            with contextlib.suppress(asyncio.QueueFull):  # full: the consumer is not waiting, it sees the stop
                self.items.put_nowait(end)

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(BaseException):
            await self.task


async def until_stopped(source: AsyncIterator[T], stop: asyncio.Event) -> AsyncIterator[T]:
    """Yield from `source` until it ends or `stop` is set.

    On stop the pending read is cancelled and the source closed at once, which closes the
    upstream HTTP response: nobody pays for tokens no one will see.
    """
    reader = _Reader(source)
    on_stop = asyncio.ensure_future(stop.wait())
    on_stop.add_done_callback(lambda _: reader.task.cancel())
    try:
        while not stop.is_set():
            item = await reader.items.get()
            if isinstance(item, _End):
                if item.error is not None and not stop.is_set():
                    raise item.error
                break
            yield item
    finally:
        on_stop.cancel()
        await reader.close()
