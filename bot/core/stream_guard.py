"""Reading a stream until it ends or a stop is asked for."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

T = TypeVar("T")


async def until_stopped(source: AsyncIterator[T], stop: asyncio.Event) -> AsyncIterator[T]:
    """Yield from `source` until it ends or `stop` is set.

    On stop the pending read is cancelled and the source closed at once, which closes the
    upstream HTTP response: nobody pays for tokens no one will see.
    """
    stop_wait = asyncio.ensure_future(stop.wait())
    read: asyncio.Future[T] | None = None
    try:
        while not stop.is_set():
            read = asyncio.ensure_future(anext(source))
            done, _ = await asyncio.wait({read, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            if read not in done:
                break
            try:
                item = read.result()
            except StopAsyncIteration:
                break
            finally:
                read = None
            yield item
    finally:
        stop_wait.cancel()
        if read is not None:  # stopped, or cancelled from outside: the pending read must not outlive us
            read.cancel()
            with contextlib.suppress(BaseException):
                await read
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
