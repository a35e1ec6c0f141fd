"""Sending and editing text on Telegram with the fallbacks every reply needs.

- entities go with no parse_mode, or Telegram ignores them (docs/protocols.md, "Telegram: entities vs parse_mode");
- "message is not modified" counts as success;
- a refused formatting falls back to the same text without entities;
- RetryAfter is waited out a bounded number of times.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Required, TypedDict, TypeVar

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, MessageEntity, ReplyParameters
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import ExtBot

from bot.ratelimit import PREVIEW
from bot.telegram_http import is_transport_message

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
MAX_FLOOD_WAITS = 3
DELIVERY_BACKOFF = (0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0)
DELIVERY_BUDGET = 30.0  # seconds a final message keeps being retried before the failure is given up
T = TypeVar("T")


def utf16_units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units): an emoji is two."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """At most `limit` UTF-16 units (Telegram's measure), with an ellipsis when cut; never splits a character."""
    if utf16_units(text) <= limit:
        return text
    out, used = [], 1  # one unit for the ellipsis
    for char in text:
        used += utf16_units(char)
        if used > limit:
            break
        out.append(char)
    return "".join(out) + "…"


def is_transport_error(error: TelegramError) -> bool:
    """A timeout or a dropped connection: Telegram may or may not have acted (unlike a 4xx/5xx answer)."""
    return isinstance(error, TimedOut) or (isinstance(error, NetworkError) and is_transport_message(error.message))


def is_not_modified(error: BadRequest) -> bool:
    return "not modified" in error.message.lower()


def retry_seconds(error: RetryAfter) -> float:
    # `_retry_after` is always a timedelta; the public property warns about its type change.
    return float(error._retry_after.total_seconds())


class Placement(TypedDict, total=False):
    """Where a message goes, as the keywords of PTB's `send_*` methods (`bot.send_photo(..., **where)`)."""

    chat_id: Required[int]
    message_thread_id: int | None
    reply_parameters: ReplyParameters | None


@dataclass(frozen=True, slots=True)
class Target:
    """Where a reply goes."""

    chat_id: int
    thread_id: int | None = None
    reply_to: int | None = None


class _PreviewBot:
    """An ExtBot whose message calls carry the rate limiter's PREVIEW mark."""

    def __init__(self, bot: ExtBot[Any]) -> None:
        self._bot = bot

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        return await self._bot.send_message(*args, rate_limit_args=PREVIEW, **kwargs)

    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Any:
        return await self._bot.edit_message_text(*args, rate_limit_args=PREVIEW, **kwargs)


class TelegramText:
    """The text calls of one reply target."""

    def __init__(self, bot: Bot, target: Target) -> None:
        self.bot = bot
        self.target = target

    def _bot_for(self, preview: bool) -> Any:
        """The bot, telling the rate limiter a preview from a final (previews never delay an answer)."""
        if preview and isinstance(self.bot, ExtBot):
            return _PreviewBot(self.bot)
        return self.bot

    def _reply_parameters(self) -> ReplyParameters | None:
        if self.target.reply_to is None:
            return None
        return ReplyParameters(self.target.reply_to, allow_sending_without_reply=True)

    async def send(
        self,
        text: str,
        entities: list[MessageEntity],
        markup: InlineKeyboardMarkup | None = None,
        *,
        preview: bool = False,
    ) -> int:
        """sendMessage; plain text if the entities are refused. Returns the message id.

        A final message (not a `preview`) waits out flood control and is retried on 5xx and dropped
        connections for up to DELIVERY_BUDGET seconds. A send that reached Telegram before the
        connection dropped is then sent again: a duplicate is accepted rather than a lost answer
        (the Bot API has no way to ask whether a message arrived).
        """
        for attempt in range(MAX_FLOOD_WAITS + 1):
            try:
                message = await self._patient(
                    partial(
                        self._bot_for(preview).send_message,
                        self.target.chat_id,
                        text,
                        entities=entities or None,
                        parse_mode=None,
                        message_thread_id=self.target.thread_id,
                        reply_parameters=self._reply_parameters(),
                        reply_markup=markup,
                        link_preview_options=NO_PREVIEW,
                    ),
                    patient=not preview,
                )
                return int(message.message_id)
            except RetryAfter as error:
                if preview or attempt == MAX_FLOOD_WAITS:
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
        preview: bool = False,
    ) -> None:
        """editMessageText; not-modified is success; plain text if the entities are refused.

        A `preview` raises a RetryAfter or network error at once (the next preview comes soon); a
        final edit waits and retries like `send` (an edit is safe to repeat).
        """
        for attempt in range(MAX_FLOOD_WAITS + 1):
            try:
                await self._patient(
                    partial(
                        self._bot_for(preview).edit_message_text,
                        text,
                        chat_id=self.target.chat_id,
                        message_id=message_id,
                        entities=entities or None,
                        parse_mode=None,
                        reply_markup=markup,
                        link_preview_options=NO_PREVIEW,
                    ),
                    patient=not preview,
                )
                return
            except RetryAfter as error:
                if preview or attempt == MAX_FLOOD_WAITS:
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

    @staticmethod
    async def _patient(call: Callable[[], Awaitable[T]], *, patient: bool) -> T:
        """`call`, retried with backoff on 5xx, timeouts and dropped connections while DELIVERY_BUDGET lasts."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        for backoff in (*DELIVERY_BACKOFF, None):
            try:
                return await call()
            except BadRequest:
                raise  # a refusal, not a fault of the network (PTB makes it a NetworkError too)
            except NetworkError as error:  # 5xx, TimedOut, a connection dropped before or after Telegram acted
                if not patient or backoff is None or loop.time() - started + backoff > DELIVERY_BUDGET:
                    raise
                log.warning("Telegram call failed (%s); trying again in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
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
