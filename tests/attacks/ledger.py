"""What an attack sent: its user messages (and whether the bot should answer each) and its button presses."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Unpack

from tests.fakes.telegram_api import FakeTelegram, UserMessageOptions


@dataclass(frozen=True, slots=True)
class Sent:
    """One user message an attack sent (``at``: loop time when it was queued)."""

    chat_id: int
    message_id: int
    what: str
    at: float
    expects_answer: bool


@dataclass(frozen=True, slots=True)
class Press:
    chat_id: int
    after_id: int  # the chat's last message id when the button was pressed
    data: str
    at: float


class Ledger:
    """The attack's own record of what it sent, for the checks."""

    def __init__(self, tg: FakeTelegram) -> None:
        self.tg = tg
        self.sent: list[Sent] = []
        self.presses: list[Press] = []

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    def text(
        self, chat_id: int, text: str, *, expects: bool = True, what: str = "", **options: Unpack[UserMessageOptions]
    ) -> Sent:
        message_id = self.tg.send_text(chat_id, text, **options)
        return self._note(chat_id, message_id, what or f"text {text[:60]!r}", expects)

    def media(
        self, chat_id: int, kind: str, content: bytes, *, expects: bool = True, what: str = "", **kw: Any
    ) -> Sent:
        message_id = self.tg.send_media(chat_id, kind, content, **kw)
        return self._note(chat_id, message_id, what or f"{kind} caption={kw.get('caption')!r:.60}", expects)

    def press(self, chat_id: int, message_id: int, data: str, **kw: Any) -> str:
        query_id = self.tg.press_button(chat_id, message_id, data, **kw)
        self.presses.append(Press(chat_id, self.tg._last_message_id[chat_id], data, self.now()))
        return query_id

    def _note(self, chat_id: int, message_id: int, what: str, expects: bool) -> Sent:
        sent = Sent(chat_id, message_id, what, self.now(), expects)
        self.sent.append(sent)
        return sent
