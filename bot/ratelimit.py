"""Telegram rate limiting: Telegram's own limits kept by the bot, fairly, so a 429 is the exception.

Telegram allows about 30 messages a second over all chats, 20 a minute in one group, and about one a
second in one private chat (short bursts are fine). PTB's AIORateLimiter is a token bucket: it lets a
burst of 30 through and then refills at 30/s, so about 60 messages can land in one second and Telegram
answers 429 — and each 429 there pauses every chat. Here:

- every message call (sends, edits, deletes of messages) waits for a slot in three sliding windows —
  the whole bot's second, its chat's window — and no window is ever over its limit;
- waiting calls are served first come, first served across chats; a live preview never waits: it
  goes at once if a slot is free (leaving a reserve for final messages) or is skipped — a newer one
  follows, and a preview must never delay an answer;
- a call whose chat has no room steps aside: other chats go on meanwhile (no head-of-line blocking);
- a 429 that still comes pauses only that chat, for the time Telegram says;
- drafts, chat actions, button answers and reads are not messages and are not queued; drafts are
  bounded in flight (DRAFTS_IN_FLIGHT), past which one is skipped like a preview.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import BaseRateLimiter

from .telegram_http import is_transport_message

if TYPE_CHECKING:
    from .metrics import Metrics

log = logging.getLogger(__name__)

INLINE = "inline:"  # the limiter's key of an inline message (it has no chat): windowed like a private chat
PREVIEW = "preview"  # rate_limit_args of a live preview: sent only when a slot is free right now


class PreviewSkipped(TelegramError):
    """A live preview found no free slot and was not sent (a newer one follows; it never waits)."""


# Calls that put or change a message in a chat: these are what Telegram counts.
LIMITED = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendMediaGroup",
        "sendSticker",
        "copyMessage",
        "forwardMessage",
    }
)


def _weight(endpoint: str, data: dict[str, Any]) -> int:
    """What a call weighs in Telegram's windows: an album counts once per item."""
    media = data.get("media") if endpoint == "sendMediaGroup" else None
    return max(1, len(media)) if isinstance(media, list) else 1


def _server_error(error: NetworkError) -> bool:
    """PTB's NetworkError for an HTTP error answer (5xx: Telegram did not act), not a transport failure.

    PTB raises BadRequest for 400 and TimedOut / transport NetworkErrors when no answer came."""
    if isinstance(error, BadRequest | TimedOut):
        return False
    return not (is_transport_message(error.message) or error.message.startswith("Unknown error in HTTP implementation"))


@dataclass(frozen=True, slots=True)
class Window:
    """At most `limit` events in any `period` seconds."""

    limit: int
    period: float


GLOBAL = Window(30, 1.0)
GROUP = Window(20, 60.0)
PRIVATE = Window(3, 3.0)  # about one a second, a burst of three
PREVIEW_RESERVE_SHARE = 6  # a sixth of every window (at least one place) is left to finals: 5 of 30/s, 3 of 20/min
DRAFTS_IN_FLIGHT = 12  # drafts on their way at once, over all chats (more are skipped: newer ones follow)


class SlidingWindow:
    """Events of the last `period` seconds, counted the way Telegram could count them.

    Telegram counts a call when it arrives, some time between our sending it and its answer. So a
    call counts from the moment it is sent (`take`) until `period` after its answer (`done`): then
    no second of arrivals can hold more than `limit`, however late a busy event loop or network
    delivers them. (Counting from the send alone let 4-13 calls a run through to a 429 at 200 chats.)
    """

    def __init__(self, window: Window) -> None:
        self.window = window
        self._answered: deque[float] = deque()  # answer times, oldest first (answers come in time order)
        self._in_flight = 0

    def free_at(self, now: float, reserve: int = 0, weight: int = 1) -> float:
        """When the next event fits (now, if it already does), leaving `reserve` places for others.

        While calls in flight alone fill the window there is no time to name: `now + period` then,
        and the limiter wakes earlier anyway when one of them is answered."""
        while self._answered and now - self._answered[0] >= self.window.period:
            self._answered.popleft()
        limit = max(1, self.window.limit - reserve)
        # events that must leave first (an album heavier than the whole window needs it empty)
        excess = len(self._answered) + self._in_flight - limit + min(weight, limit)
        if excess <= 0:
            return now
        if excess > len(self._answered):
            return now + self.window.period
        return self._answered[excess - 1] + self.window.period

    def take(self, now: float, weight: int = 1) -> None:
        self._in_flight += weight

    def done(self, now: float, weight: int = 1) -> None:
        """A call taken earlier got its answer (or failed) at `now`; `weight` as it was taken."""
        self._in_flight = max(0, self._in_flight - weight)
        self._answered.extend([now] * weight)

    @property
    def idle(self) -> bool:
        return not self._answered and not self._in_flight


@dataclass(eq=False, slots=True)
class _Waiter:
    chat_id: int | str
    weight: int = 1
    granted: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class FairRateLimiter(BaseRateLimiter[str]):
    def __init__(
        self,
        *,
        global_window: Window = GLOBAL,
        group_window: Window = GROUP,
        private_window: Window = PRIVATE,
        max_retries: int = 2,
        clock: Callable[[], float] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._global = SlidingWindow(global_window)
        self._group_window = group_window
        self._private_window = private_window
        self._chats: dict[int | str, SlidingWindow] = {}
        self._paused_until: dict[int | str, float] = {}
        self._waiting: list[_Waiter] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._max_retries = max_retries
        self._clock = clock
        self._drafts_in_flight = 0

    def _now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if chat_id is None and data.get("inline_message_id"):
            chat_id = f"{INLINE}{data['inline_message_id']}"  # an inline message: a place of its own
        if self._metrics is not None:
            self._metrics.telegram_call(endpoint)
        if endpoint == "sendMessageDraft":
            return await self._draft(callback, args, kwargs)
        if endpoint not in LIMITED or chat_id is None:
            return await callback(*args, **kwargs)
        preview = rate_limit_args == PREVIEW
        weight = _weight(endpoint, data)
        for attempt in range(self._max_retries + 1):
            if preview:
                self._take_now(chat_id)  # a preview never queues: it goes now or not at all
            else:
                await self._slot(chat_id, weight)
            try:
                try:
                    return await callback(*args, **kwargs)
                finally:
                    self._release(chat_id, 1 if preview else weight)
            except NetworkError as error:
                # A 5xx answer means Telegram did not act: safe to send again (a dropped connection is not:
                # it may have acted, and the caller decides)
                if not _server_error(error) or attempt == self._max_retries:
                    raise
                log.info("Telegram answered %s to %s; sending it again", error.message, endpoint)
                await asyncio.sleep(0.5 * (attempt + 1))
            except RetryAfter as error:
                # `_retry_after` is always a timedelta; the public property warns about its type change
                seconds = float(error._retry_after.total_seconds())
                if self._metrics is not None:
                    self._metrics.telegram_throttled(endpoint)
                if preview or attempt == self._max_retries:
                    raise
                log.info("Telegram asked chat %s to wait %.0f s; only that chat waits", chat_id, seconds)
                self._paused_until[chat_id] = self._now() + seconds
        raise AssertionError("unreachable")

    async def _draft(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """A draft goes now if fewer than DRAFTS_IN_FLIGHT are on their way, else it is skipped.

        Drafts are not messages (Telegram does not count them) but they are most of the bot's
        calls; unbounded, hundreds wait in httpcore's pool, whose bookkeeping grows with the
        square of the queue. A skipped draft is followed by a newer one."""
        if self._drafts_in_flight >= DRAFTS_IN_FLIGHT:
            raise PreviewSkipped("enough drafts on their way")
        self._drafts_in_flight += 1
        try:
            return await callback(*args, **kwargs)
        finally:
            self._drafts_in_flight -= 1

    def _take_now(self, chat_id: int | str) -> None:
        """A slot for a preview if one is free now, leaving the reserve to finals; else PreviewSkipped."""
        now = self._now()
        window = self._chat_window(chat_id)
        if (
            any(waiter.chat_id == chat_id for waiter in self._waiting)  # this chat's finals go first
            or self._global.free_at(now, self._reserve(self._global)) > now
            or window.free_at(now, self._reserve(window)) > now
            or self._paused_until.get(chat_id, 0.0) > now
        ):
            raise PreviewSkipped("no free slot for a live preview now")
        self._global.take(now)
        window.take(now)

    async def _slot(self, chat_id: int | str, weight: int = 1) -> None:
        waiter = _Waiter(chat_id, weight)
        self._waiting.append(waiter)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._serve(), name="telegram-rate-limiter")
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter in self._waiting:
                self._waiting.remove(waiter)
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._release(chat_id, weight)  # granted in the same instant: the slot was taken for nothing
            raise

    def _release(self, chat_id: int | str, weight: int = 1) -> None:
        """The call holding a slot got its answer (or failed): it counts `period` from now on."""
        now = self._now()
        self._global.done(now, weight)
        self._chat_window(chat_id).done(now, weight)
        if self._waiting:
            self._wake.set()  # a window that in-flight calls filled may have room again later

    def _chat_window(self, chat_id: int | str) -> SlidingWindow:
        window = self._chats.get(chat_id)
        if window is None:
            inline = isinstance(chat_id, str) and chat_id.startswith(INLINE)
            group = not inline and (isinstance(chat_id, str) or chat_id < 0)
            window = SlidingWindow(self._group_window if group else self._private_window)
            self._chats[chat_id] = window
        return window

    async def _serve(self) -> None:
        """Grants slots while anything waits: the oldest waiting call whose chat has room."""
        while True:
            self._wake.clear()
            wait = self._grant_what_fits()
            if not self._waiting:
                self._forget_idle_chats()
                await self._wake.wait()
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(wait, 0.001))

    def _grant_what_fits(self) -> float:
        """Grant every waiter that fits now, first come first served; return how long until the next could."""
        soonest = float("inf")
        while True:
            now = self._now()
            global_free = self._global.free_at(now)
            if global_free > now:
                return global_free - now if self._waiting else soonest
            chosen: _Waiter | None = None
            for waiter in self._waiting:
                if waiter.granted.done():
                    continue
                window = self._chat_window(waiter.chat_id)
                free = max(
                    window.free_at(now, weight=waiter.weight),
                    self._global.free_at(now, weight=waiter.weight),
                    self._paused_until.get(waiter.chat_id, 0.0),
                )
                if free <= now:
                    chosen = waiter
                    break
                soonest = min(soonest, free - now)
            if chosen is None:
                self._waiting = [w for w in self._waiting if not w.granted.done()]
                return soonest
            self._waiting.remove(chosen)
            self._global.take(now, chosen.weight)
            self._chat_window(chosen.chat_id).take(now, chosen.weight)
            chosen.granted.set_result(None)

    @staticmethod
    def _reserve(window: SlidingWindow) -> int:
        """Places of `window` that live previews may not take, so a final message always finds room soon
        (by share, not by value: REPLICAS divides the windows)."""
        return max(1, window.window.limit // PREVIEW_RESERVE_SHARE)

    def _forget_idle_chats(self) -> None:
        """Windows with nothing in them are dropped, so memory stays flat with many chats."""
        now = self._now()
        for chat_id in [c for c, w in self._chats.items() if w.free_at(now) == now and w.idle]:
            del self._chats[chat_id]
        for chat_id in [c for c, until in self._paused_until.items() if until <= now]:
            del self._paused_until[chat_id]
