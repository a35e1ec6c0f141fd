"""Saving a pending answer's text every few seconds, so a crash leaves something to show (recovery)."""

from __future__ import annotations

import time

from storage.conversations import ConversationRepository

from .answer_media import storable_text


class Checkpoint:
    """Saves what a pending answer has said every few seconds, so a crash leaves something to show."""

    EVERY = 5.0

    def __init__(self, conversations: ConversationRepository, row_id: int, started: float) -> None:
        self._conversations = conversations
        self._row_id = row_id
        self._next = started + self.EVERY
        self._saved = 0

    async def maybe(self, text: str) -> None:
        now = time.monotonic()
        if now < self._next or len(text) == self._saved:
            return
        self._next = now + self.EVERY
        self._saved = len(text)
        await self._conversations.checkpoint(self._row_id, storable_text(text))
