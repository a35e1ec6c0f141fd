"""Sending and editing text on Telegram with the fallbacks every reply needs.

- entities are sent with no parse_mode (telegram-notes §3.2: a parse_mode would make Telegram ignore them);
- "message is not modified" counts as success;
- a refused formatting falls back to the same text without entities;
- RetryAfter is waited out a bounded number of times.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, MessageEntity, ReplyParameters
from telegram.error import BadRequest, RetryAfter

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
MAX_FLOOD_WAITS = 3


def is_not_modified(error: BadRequest) -> bool:
    return "not modified" in error.message.lower()


def retry_seconds(error: RetryAfter) -> float:
    # `_retry_after` is always a timedelta; the public property warns about its type change.
    return float(error._retry_after.total_seconds())


@dataclass(frozen=True, slots=True)
class Target:
    """Where a reply goes."""

    chat_id: int
    thread_id: int | None = None
    reply_to: int | None = None

    @property
    def is_private(self) -> bool:
        return self.chat_id > 0


class TelegramText:
    """The text calls of one reply target."""

    def __init__(self, bot: Bot, target: Target) -> None:
        self.bot = bot
        self.target = target

    def _reply_parameters(self) -> ReplyParameters | None:
        if self.target.reply_to is None:
            return None
        return ReplyParameters(self.target.reply_to, allow_sending_without_reply=True)

    async def send(self, text: str, entities: list[MessageEntity], markup: InlineKeyboardMarkup | None = None) -> int:
        """sendMessage; plain text if the entities are refused. Returns the message id."""
        for attempt in range(MAX_FLOOD_WAITS + 1):
            try:
                message = await self.bot.send_message(
                    self.target.chat_id,
                    text,
                    entities=entities or None,
                    parse_mode=None,
                    message_thread_id=self.target.thread_id,
                    reply_parameters=self._reply_parameters(),
                    reply_markup=markup,
                    link_preview_options=NO_PREVIEW,
                )
                return message.message_id
            except RetryAfter as error:
                if attempt == MAX_FLOOD_WAITS:
                    raise
                await asyncio.sleep(retry_seconds(error))
            except BadRequest as error:
                if not entities:
                    raise
                log.warning("sendMessage refused formatting (%s); sending plain text", error.message)
                entities = []
        raise AssertionError("unreachable")

    async def edit(
        self,
        message_id: int,
        text: str,
        entities: list[MessageEntity],
        markup: InlineKeyboardMarkup | None = None,
        *,
        wait_flood: bool = True,
    ) -> None:
        """editMessageText; not-modified is success; plain text if the entities are refused.

        With wait_flood=False a RetryAfter is raised at once (live previews skip a beat instead).
        """
        for attempt in range(MAX_FLOOD_WAITS + 1):
            try:
                await self.bot.edit_message_text(
                    text,
                    chat_id=self.target.chat_id,
                    message_id=message_id,
                    entities=entities or None,
                    parse_mode=None,
                    reply_markup=markup,
                    link_preview_options=NO_PREVIEW,
                )
                return
            except RetryAfter as error:
                if not wait_flood or attempt == MAX_FLOOD_WAITS:
                    raise
                await asyncio.sleep(retry_seconds(error))
            except BadRequest as error:
                if is_not_modified(error):
                    return
                if not entities or "message to edit not found" in error.message.lower():
                    raise
                log.warning("editMessageText refused formatting (%s); sending plain text", error.message)
                entities = []
        raise AssertionError("unreachable")

    async def draft(self, draft_id: int, text: str, entities: list[MessageEntity]) -> None:
        await self.bot.send_message_draft(
            self.target.chat_id,
            draft_id,
            text,
            message_thread_id=self.target.thread_id,
            entities=entities or None,
            parse_mode=None,
        )
