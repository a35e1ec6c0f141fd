"""Update processing: concurrent across chats, in order within a chat, with controls that jump the queue."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def jumps_the_queue(update: Update) -> bool:
    """Button presses and /stop must never wait behind the answer they are meant to control."""
    if update.callback_query is not None:
        return True
    message = update.effective_message
    text = (message.text or "") if message else ""
    return text.startswith("/stop") and (len(text) == 5 or text[5] in " @")


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """One asyncio.Lock (FIFO) per chat; idle locks are dropped so memory stays flat."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None or (isinstance(update, Update) and jumps_the_queue(update)):
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._waiting[chat.id] = self._waiting.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[chat.id] -= 1
            if not self._waiting[chat.id]:
                del self._waiting[chat.id]
                self._locks.pop(chat.id, None)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
