"""Running turns per chat, so /stop can reach the one in progress (and only its owner, or an admin)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from storage import ChatKey


@dataclass(slots=True)
class _Running:
    stop: asyncio.Event
    owner: int  # whose message the answer is for
    interrupted: bool = False  # stopped by a shutdown, not by a user


class TurnRegistry:
    def __init__(self) -> None:
        self._running: dict[ChatKey, _Running] = {}

    @contextmanager
    def running(self, chat: ChatKey, owner: int) -> Iterator[asyncio.Event]:
        turn = _Running(asyncio.Event(), owner)
        self._running[chat] = turn
        try:
            yield turn.stop
        finally:
            if self._running.get(chat) is turn:
                del self._running[chat]

    def stop(self, chat: ChatKey, by: int, *, may_stop_any: bool) -> bool | None:
        """Ask the chat's running turn to stop: True if stopped, False if nothing runs there,
        None if it is someone else's answer and `by` may not stop it."""
        turn = self._running.get(chat)
        if turn is None or turn.stop.is_set():
            return False
        if turn.owner != by and not may_stop_any:
            return None
        turn.stop.set()
        return True

    def stop_chat(self, chat_id: int) -> int:
        """Stop every answer running in the chat (all its topics), whoever it is for; how many were."""
        stopped = [turn for chat, turn in self._running.items() if chat.chat_id == chat_id and not turn.stop.is_set()]
        for turn in stopped:
            turn.stop.set()
        return len(stopped)

    def interrupt_all(self) -> int:
        """A shutdown: every running answer ends now, as partial, marked interrupted."""
        for turn in self._running.values():
            turn.interrupted = True
            turn.stop.set()
        return len(self._running)

    def was_interrupted(self, chat: ChatKey) -> bool:
        turn = self._running.get(chat)
        return turn is not None and turn.interrupted

    @property
    def count(self) -> int:
        return len(self._running)
