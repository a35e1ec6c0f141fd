"""Update processing: concurrent across chats, in order within a chat, and fair to every chat.

PTB's own processor takes a process-wide slot first and then lets our code wait for the chat's
turn, so one chat's queued updates could hold every slot while all other chats waited. Here an
update first waits for its chat's turn and only then takes a slot, and updates that need no
queue (strangers, who are refused at once; /stop and button presses, which must never wait
behind the answer they control) skip the chat's queue.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

UNBOUNDED = 1 << 30
CONTROL_LANE = 2  # button presses / stops of one chat handled at once
CONTROL_BACKLOG = 16  # more presses than this waiting in one chat are a flood: dropped


def jumps_the_queue(update: Update) -> bool:
    """Button presses and /stop must never wait behind the answer they are meant to control."""
    if update.callback_query is not None:
        return True
    message = update.effective_message
    text = (message.text or "") if message else ""
    return text.startswith("/stop") and (len(text) == 5 or text[5] in " @")


@dataclass(slots=True)
class _ChatLanes:
    ordered: asyncio.Lock = field(default_factory=asyncio.Lock)
    controls: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CONTROL_LANE))
    users: int = 0
    controls_waiting: int = 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Per chat: one ordered lane (FIFO lock) and a small control lane; then one of the process's slots.

    `admits(user_id, chat_id)` lets updates from strangers bypass the chat's queue: the access gate
    refuses them without waiting behind the chat's answer (and a flood of them costs nothing).
    """

    def __init__(
        self, max_concurrent_updates: int = 256, *, admits: Callable[[int, int | None], bool] | None = None
    ) -> None:
        # PTB's own semaphore is taken before do_process_update (process_update is final), so it is made
        # too large to ever wait; the real bound is `_slots`, taken after the chat's turn has come.
        super().__init__(UNBOUNDED)
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._admits = admits or (lambda _user_id, _chat_id: True)
        self._chats: dict[int, _ChatLanes] = {}
        self.last_handled: float | None = None  # time.monotonic() when an update was last handled (/healthz)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's turn first, a process-wide slot second: a waiting chat holds no slot."""
        try:
            async with self._chat_turn(update) as admitted:
                if not admitted:
                    _discard(coroutine)
                    return
                async with self._slots:
                    await coroutine
                self.last_handled = time.monotonic()
        except BaseException:
            _discard(coroutine)
            raise

    def _chat_turn(self, update: object) -> AbstractAsyncContextManager[bool]:
        if not isinstance(update, Update) or update.effective_chat is None:
            return _free()
        user = update.effective_user
        if user is not None and not self._admits(user.id, update.effective_chat.id):
            return _free()
        return self._lane(update.effective_chat.id, control=jumps_the_queue(update))

    @asynccontextmanager
    async def _lane(self, chat_id: int, *, control: bool) -> AsyncIterator[bool]:
        lanes = self._chats.setdefault(chat_id, _ChatLanes())
        if control and lanes.controls_waiting >= CONTROL_BACKLOG:
            yield False
            return
        lanes.users += 1
        gate = lanes.controls if control else lanes.ordered
        try:
            lanes.controls_waiting += control
            try:
                await gate.acquire()
            finally:
                lanes.controls_waiting -= control
            try:
                yield True
            finally:
                gate.release()
        finally:
            lanes.users -= 1
            if not lanes.users:
                self._chats.pop(chat_id, None)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


@asynccontextmanager
async def _free() -> AsyncIterator[bool]:
    yield True


def _discard(coroutine: Awaitable[Any]) -> None:
    """A coroutine that will never run is closed, so Python does not warn that it was never awaited."""
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
