"""A streamed answer on Telegram: drafts in private chats, one edited message in groups.

Long answers are frozen piece by piece: as soon as the rendered text needs a second message,
the first piece is sent (or edited) in its final form and streaming continues in a new one.
At the end every piece is rendered once more from the whole answer, so what stays in the chat
is exactly the answer, split at 4096 UTF-16 units without losing a character.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, MessageEntity
from telegram.constants import ChatAction
from telegram.error import RetryAfter, TelegramError

from bot.ratelimit import PreviewSkipped

from .markdown import Chunk, render_pieces, split, tail
from .telegram_io import Target, TelegramText, is_transport_error, retry_seconds

log = logging.getLogger(__name__)

CURSOR = " ▌"
PREVIEW_RETRY = 0.3  # seconds before a preview that found no free slot is tried again (with newer text)
DRAFT_KEEPALIVE = 20.0  # drafts vanish after ~30 s without an update


class StreamingReply:
    """Shows an answer while it is written and leaves the finished answer in the chat."""

    def __init__(
        self,
        io: TelegramText,
        *,
        use_drafts: bool,
        interval: float,
        stop_markup: InlineKeyboardMarkup | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._io = io
        self._use_drafts = use_drafts
        self._interval = interval
        self._stop_markup = stop_markup
        self._clock = clock or asyncio.get_running_loop().time
        self._draft_id = random.randint(1, 2**31 - 1)
        self._frozen: list[tuple[int, Chunk]] = []  # final pieces already in the chat
        self._live_id: int | None = None  # edit mode: the message being edited
        self._last_shown: Chunk | None = None
        self._next_at = 0.0
        self._last_sent_at = 0.0
        # told the ids each time a new message starts showing the answer (so a restart can close it)
        self.on_new_message: Callable[[list[int]], Awaitable[None]] | None = None
        # told once when drafts fail here (the chat then streams by edits for the process's lifetime)
        self.on_drafts_refused: Callable[[], None] | None = None
        self._previews_off = False

    @property
    def target(self) -> Target:
        return self._io.target

    @property
    def message_ids(self) -> list[int]:
        ids = [message_id for message_id, _ in self._frozen]
        return ids + ([self._live_id] if self._live_id is not None else [])

    async def begin(self) -> None:
        """Show that an answer is coming."""
        try:
            if self._use_drafts:
                await self._io.draft(self._draft_id, "", [])  # empty text: Telegram shows "Thinking…"
                self._last_sent_at = self._clock()
            else:
                await self._io.bot.send_chat_action(
                    self._io.target.chat_id, ChatAction.TYPING, message_thread_id=self._io.target.thread_id
                )
        except PreviewSkipped:
            pass  # the bot is busy: the first preview with text shows that an answer is coming
        except RetryAfter as error:
            log.info("flood control before the first preview: %s", error)
        except TelegramError as error:
            if self._use_drafts and not is_transport_error(error):
                self._fall_back_to_edits(error)
            else:
                log.info("could not show the typing state: %s", error)

    async def update(self, content: str | Chunk) -> None:
        """The answer so far (Markdown, or already rendered text + entities); shown when the throttle allows."""
        now = self._clock()
        if now < self._next_at or self._previews_off:
            return
        if not (content if isinstance(content, str) else content[0]).strip():
            if self._use_drafts and now - self._last_sent_at > DRAFT_KEEPALIVE:
                await self.begin()
            return
        try:
            pieces = render_pieces(content) if isinstance(content, str) else split(*content)
            await self._freeze_completed(pieces)
            text, entities = pieces[-1] if pieces else ("", [])
            await self._show_live(text + CURSOR, entities)
            # measured from the end of the call: a slow Telegram must mean fewer previews, not more
            self._next_at = self._clock() + self._interval
        except PreviewSkipped:
            self._next_at = self._clock() + PREVIEW_RETRY  # Telegram's limits are busy: the next one, soon
        except RetryAfter as error:
            self._next_at = self._clock() + retry_seconds(error)
            log.info("flood control: live preview paused for %.0f s", retry_seconds(error))
        except TelegramError as error:
            self._next_at = self._clock() + self._interval
            if self._use_drafts and not is_transport_error(error):
                # 400, 404 "method not found", 5xx: drafts do not work here, edits may (a dropped
                # connection is only the network: the next draft goes as usual)
                self._fall_back_to_edits(error)
            elif self._live_id is None and not self._use_drafts and is_transport_error(error):
                # the new live message may have arrived without us knowing its id: sending another
                # would leave two; the answer comes as one final message instead
                self._previews_off = True
                log.info("live preview lost on the way (%s); the answer will come whole", error)
            else:
                log.warning("live preview failed: %s", error)

    async def keepalive(self) -> None:
        """Drafts vanish after ~30 s: repeat the last one while the model is quiet (thinking)."""
        if not self._use_drafts or self._clock() - self._last_sent_at < DRAFT_KEEPALIVE:
            return
        text, entities = self._last_shown or ("", [])
        try:
            await self._io.draft(self._draft_id, text, entities)
            self._last_sent_at = self._clock()
        except TelegramError as error:
            log.info("draft keepalive failed: %s", error)

    @property
    def next_update_at(self) -> float:
        """When `update` will next show something (clock time)."""
        return self._next_at

    async def finish(
        self, content: str | Chunk, footer: str | None = None, markup: InlineKeyboardMarkup | None = None
    ) -> list[int]:
        """Leave the whole answer in the chat, split as needed (`markup` on its last message); returns its ids."""
        if isinstance(content, str):
            body = content if not footer else f"{content}\n\n{footer}"
            pieces = render_pieces(body) or [(footer or "…", [])]
        else:
            pieces = split(*content) or [("…", [])]
        slots: list[tuple[int, Chunk | None]] = list(self._frozen)
        if self._live_id is not None:
            slots.append((self._live_id, None))
        held: list[tuple[int, Chunk]] = []
        for index, piece in enumerate(pieces):
            keyboard = markup if index == len(pieces) - 1 else None
            if index >= len(slots):
                held.append((await self._io.send(*piece, keyboard), piece))
                continue
            message_id, shown = slots[index]
            unchanged = shown == piece and keyboard is None
            held.append((message_id if unchanged else await self._replace(message_id, piece, keyboard), piece))
        # The final render can need fewer messages than the preview did (a link or ** closed at the end)
        for message_id, _ in slots[len(pieces) :]:
            await self._delete(message_id)
        self._frozen, self._live_id = held, None
        return [message_id for message_id, _ in held]

    # ------------------------------------------------------------------ internals

    async def _freeze_completed(self, pieces: list[Chunk]) -> None:
        """Put every piece but the last in the chat in its final form."""
        while len(self._frozen) < len(pieces) - 1:
            piece = pieces[len(self._frozen)]
            if self._live_id is not None:
                await self._io.edit(self._live_id, *piece)
                self._frozen.append((self._live_id, piece))
                self._live_id = None
            else:
                self._frozen.append((await self._io.send(*piece), piece))
                await self._told()
            self._last_shown = None

    async def _show_live(self, text: str, entities: list[MessageEntity]) -> None:
        shown = tail(text, entities)
        if shown == self._last_shown:
            return
        if self._use_drafts:
            await self._io.draft(self._draft_id, *shown)
        elif self._live_id is None:
            self._live_id = await self._io.send(*shown, self._stop_markup, preview=True)
            await self._told()
        else:
            await self._io.edit(self._live_id, *shown, self._stop_markup, preview=True)
        self._last_shown = shown
        self._last_sent_at = self._clock()

    async def _told(self) -> None:
        if self.on_new_message is not None:
            try:
                await self.on_new_message(self.message_ids)
            except Exception:  # bookkeeping for crash recovery must never break the answer
                log.exception("could not record the answer's message ids")

    async def _replace(self, message_id: int, piece: Chunk, markup: InlineKeyboardMarkup | None = None) -> int:
        """Final edit of a message; if Telegram refuses it, the piece is sent anew — never lost.

        Returns the id of the message that now holds the piece.
        """
        try:
            await self._io.edit(message_id, *piece, markup)
            return message_id
        except TelegramError as error:
            log.warning("final edit failed (%s); sending the text as a new message", error)
        new_id = await self._io.send(*piece, markup)
        await self._delete(message_id)  # the stale preview (cursor, ⏹) must not stay behind
        return new_id

    async def _delete(self, message_id: int) -> None:
        try:
            await self._io.bot.delete_message(self._io.target.chat_id, message_id)
        except TelegramError as error:
            log.info("could not delete a leftover preview message: %s", error)

    def _fall_back_to_edits(self, error: TelegramError) -> None:
        if self._use_drafts:
            log.info("drafts refused (%s); streaming by edits instead", error.message)
            self._use_drafts = False
            self._next_at = 0.0
            if self.on_drafts_refused is not None:
                self.on_drafts_refused()


class LivePainter:
    """Shows the latest state of a `StreamingReply` from its own task.

    Reading the answer from the gateway never waits for Telegram: `push` only records the latest
    text, and the painter sends whatever is newest when the throttle and Telegram allow. Texts
    that arrive while a call is on its way are folded into the next one.
    """

    def __init__(self, reply: StreamingReply, clock: Callable[[], float] | None = None) -> None:
        self._reply = reply
        self._clock = clock or asyncio.get_running_loop().time
        self._latest: str | Chunk | Callable[[], Chunk] | None = None
        self._changed = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-preview")

    def push(self, content: str | Chunk | Callable[[], Chunk]) -> None:
        """The newest state; a callable is rendered only when a preview is actually painted."""
        self._latest = content
        self._changed.set()

    async def close(self) -> None:
        """Stop painting; a call already on its way is allowed to finish (its message id matters)."""
        self._closing = True
        self._changed.set()
        if self._task is not None:
            try:
                await self._task
            except Exception:  # previews are best effort; the final message is what counts
                log.exception("live preview task failed")

    async def _run(self) -> None:
        await self._reply.begin()
        while not self._closing:
            try:
                await asyncio.wait_for(self._changed.wait(), DRAFT_KEEPALIVE)
            except TimeoutError:
                await self._reply.keepalive()
                continue
            self._changed.clear()
            if self._closing:
                return
            delay = self._reply.next_update_at - self._clock()
            if delay > 0:  # the throttle: wait out the interval, or until the answer is complete
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wait_closing(), delay)
                if self._closing:
                    return
            if self._latest is not None:
                latest = self._latest() if callable(self._latest) else self._latest
                await self._reply.update(latest)

    async def _wait_closing(self) -> None:
        while not self._closing:
            self._changed.clear()
            await self._changed.wait()
