"""An answer streamed into an inline message (`inline_message_id`): edits only, and one message at most.

An inline message cannot be followed by more messages, so a long answer is cut to fit one (4096
UTF-16 units) with a note saying so. It has no chat id either, and the bot's rate limiter
(`bot/ratelimit.py`) keys its windows by chat id: calls without one go straight through. So inline
edits are bounded here, per inline message and over all of them:

- one inline message is edited at most once per `interval` (measured from the end of the call, so a
  slow Telegram means fewer edits), and a 429 pauses that message's previews for the time it says;
- all live previews of inline messages share one sliding window (`INLINE_PREVIEWS`, the limiter's own
  `SlidingWindow`): a preview that finds it full is skipped for a newer one, never queued;
- the final edit always goes, retried a bounded number of times (flood waits, 5xx, dropped connections).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from telegram import Bot, InlineKeyboardMarkup, MessageEntity
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegramify_markdown import utf16_len

from bot.ratelimit import SlidingWindow, Window

from . import callback_data
from .keyboards import button
from .markdown import MAX_TEXT, Chunk, split
from .stream import CURSOR, PREVIEW_RETRY
from .telegram_io import DELIVERY_BACKOFF, MAX_FLOOD_WAITS, NO_PREVIEW, is_not_modified, retry_seconds

log = logging.getLogger(__name__)

INLINE_PREVIEWS = Window(10, 1.0)  # live previews of all inline messages together, per second
_previews = SlidingWindow(INLINE_PREVIEWS)


def one_message(text: str, entities: list[MessageEntity], notes: Sequence[str], cut_note: str) -> Chunk:
    """The rendered answer in one message: cut (with `cut_note`) when it does not fit, `notes` below it."""
    whole = split(text, entities, _room(notes))
    if len(whole) > 1:
        notes = [cut_note, *notes]
        whole = split(text, entities, _room(notes))[:1]
    body, body_entities = whole[0] if whole else ("", [])
    tail = "\n\n".join(note for note in notes if note)
    if not tail:
        return (body, body_entities) if body.strip() else ("…", [])
    return (f"{body}\n\n{tail}" if body.strip() else tail), body_entities


def _room(notes: Sequence[str]) -> int:
    tail = "\n\n".join(note for note in notes if note)
    return MAX_TEXT - (utf16_len(tail) + 2 if tail else 0) - utf16_len(CURSOR)


class InlineText:
    """editMessageText of one inline message, with the fallbacks every reply needs."""

    def __init__(self, bot: Bot, inline_message_id: str) -> None:
        self.bot = bot
        self.inline_message_id = inline_message_id

    async def edit(self, text: str, entities: list[MessageEntity], markup: InlineKeyboardMarkup | None = None) -> None:
        """One edit; "not modified" is success; plain text when Telegram refuses the formatting."""
        try:
            await self._edit(text, entities, markup)
        except BadRequest as error:
            if is_not_modified(error):
                return
            if not entities:
                raise
            log.warning("inline edit refused formatting (%s); sending plain text", error.message)
            try:
                await self._edit(text, [], markup)
            except BadRequest as again:
                if not is_not_modified(again):
                    raise

    async def final(self, text: str, entities: list[MessageEntity]) -> bool:
        """The last edit (the keyboard goes): flood waits and network failures retried, bounded. False if lost."""
        waits = 0
        for backoff in (*DELIVERY_BACKOFF, None):
            try:
                await self.edit(text, entities)
                return True
            except RetryAfter as error:
                waits += 1
                if waits > MAX_FLOOD_WAITS:
                    break
                await asyncio.sleep(retry_seconds(error))
            except BadRequest as error:
                log.warning("the final inline edit was refused: %s", error.message)
                return False
            except NetworkError as error:
                if backoff is None:
                    break
                log.info("final inline edit failed (%s); trying again in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
        log.warning("the final inline edit could not be made")
        return False

    async def _edit(self, text: str, entities: list[MessageEntity], markup: InlineKeyboardMarkup | None) -> None:
        await self.bot.edit_message_text(
            text,
            inline_message_id=self.inline_message_id,
            entities=entities or None,
            parse_mode=None,
            reply_markup=markup,
            link_preview_options=NO_PREVIEW,
        )


class InlineStream:
    """Live previews of an inline answer from its own task: `push` records the newest state only."""

    def __init__(
        self,
        io: InlineText,
        *,
        interval: float,
        markup: InlineKeyboardMarkup | None,
        cut_note: str,
        clock: Callable[[], float] | None = None,
        window: SlidingWindow | None = None,
    ) -> None:
        self._io = io
        self._interval = interval
        self._markup = markup
        self._cut_note = cut_note
        self._clock = clock or asyncio.get_running_loop().time
        self._window = window or _previews
        self._latest: Callable[[], Chunk] | None = None
        self._shown: Chunk | None = None
        self._next_at = 0.0
        self._changed = asyncio.Event()
        self._closed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.previews = 0  # edits made while streaming
        # told once when the inline message is gone (the user deleted it): nobody will see the rest
        self.on_gone: Callable[[], None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inline-preview")

    def push(self, content: Callable[[], Chunk]) -> None:
        """The newest state; rendered only when a preview is actually painted."""
        self._latest = content
        self._changed.set()

    async def close(self) -> None:
        """Stop painting; an edit already on its way finishes first (the final edit must come after it)."""
        self._closed.set()
        self._changed.set()
        if self._task is not None:
            try:
                await self._task
            except Exception:  # previews are best effort; the final edit is what counts
                log.exception("inline preview task failed")

    async def finish(self, chunk: Chunk, notes: Sequence[str] = ()) -> bool:
        """Leave the whole answer (cut to one message if needed) in the inline message, without the keyboard."""
        await self.close()
        return await self._io.final(*one_message(*chunk, notes, self._cut_note))

    async def _run(self) -> None:
        while not self._closed.is_set():
            await self._changed.wait()
            self._changed.clear()
            delay = self._next_at - self._clock()
            if delay > 0:  # the throttle: wait out the interval, or until the answer is complete
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), delay)
            if self._closed.is_set():
                return
            if self._latest is not None:
                await self._paint(self._latest())

    async def _paint(self, chunk: Chunk) -> None:
        text, entities = one_message(*chunk, (), self._cut_note)
        if not chunk[0].strip() or (text, entities) == self._shown:
            return
        now = self._clock()
        if self._window.free_at(now, reserve=0) > now:
            self._next_at = now + PREVIEW_RETRY  # all inline previews are busy: a newer one, soon
            self._changed.set()
            return
        self._window.take(now)  # counted from its sending until a second after its answer (`done`)
        try:
            await self._io.edit(text + CURSOR, entities, self._markup)
            self._shown = (text, entities)
            self.previews += 1
            self._next_at = self._clock() + self._interval
        except RetryAfter as error:
            self._next_at = self._clock() + retry_seconds(error)
            log.info("flood control: inline preview paused for %.0f s", retry_seconds(error))
        except BadRequest as error:
            self._next_at = self._clock() + self._interval
            if "message_id_invalid" in error.message.lower() and self.on_gone is not None:
                log.info("the inline message is gone; stopping its answer")
                self.on_gone()
            else:
                log.info("inline preview refused: %s", error.message)
        except TelegramError as error:
            self._next_at = self._clock() + self._interval
            log.info("inline preview failed: %s", error)
        finally:
            self._window.done(self._clock())


def inline_stop_keyboard(text: str) -> InlineKeyboardMarkup:
    """⏹ on an inline answer being written; the keyboard also makes Telegram give the message an id."""
    return InlineKeyboardMarkup([[button(text, callback_data.INLINE_STOP)]])
