"""Running turns per chat, so /stop can reach the one in progress."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from storage import ChatKey


class TurnRegistry:
    def __init__(self) -> None:
        self._running: dict[ChatKey, asyncio.Event] = {}

    @contextmanager
    def running(self, chat: ChatKey) -> Iterator[asyncio.Event]:
        stop = asyncio.Event()
        self._running[chat] = stop
        try:
            yield stop
        finally:
            if self._running.get(chat) is stop:
                del self._running[chat]

    def stop(self, chat: ChatKey) -> bool:
        """Ask the running turn of `chat` to stop; False when nothing runs there."""
        event = self._running.get(chat)
        if event is None or event.is_set():
            return False
        event.set()
        return True

    def is_running(self, chat: ChatKey) -> bool:
        return chat in self._running
