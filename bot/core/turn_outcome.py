"""How an answer ends: the answer row stored, its tokens counted against the limits, the turn logged and
measured, and the event that tells the chat."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.wenwen import ErrorKind, WenwenError
from storage import ChatKey, ChatSettings, MessageStatus, Storage, StoredMessage
from storage.conversations import NO_ANSWER_TOKENS

from .answer_loop import Progress
from .answer_media import AnswerMedia, display_text, storable_text
from .context import estimate_tokens
from .events import AnswerImages, TurnDone, TurnEvent, TurnFailed
from .images import inspect_image_async
from .limits import DailyLimits
from .vision import RequestImages, refused_for_images

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger("bot.turn")


@dataclass(slots=True)
class TurnContext:
    """What one answer is made from: read before the request (the model may change to the vision one)."""

    chat: ChatKey
    user_id: int
    conversation: int
    answer_row: int
    settings: ChatSettings
    model: str
    history: list[StoredMessage]
    images: RequestImages
    documents: dict[str, str]


class TurnOutcome:
    """Stores, counts and logs how each turn ended (`ConversationService` keeps one)."""

    def __init__(self, storage: Storage, limits: DailyLimits, media: AnswerMedia, metrics: Metrics | None) -> None:
        self._storage = storage
        self._limits = limits
        self._media = media
        self._metrics = metrics

    async def mark_delivered(self, answer_id: int, tg_message_ids: tuple[int, ...] | None = None) -> None:
        """The chat shows the answer (or its error): a restart has nothing left to do for it."""
        await asyncio.shield(self._storage.conversations.mark_delivered(answer_id, tg_message_ids))

    async def failed(self, turn: TurnContext, progress: Progress, started: float, error: WenwenError) -> TurnFailed:
        """Store and count what came before the gateway failed; the event that tells of it."""
        user_id, model = turn.user_id, turn.model
        await self.finish(turn.answer_row, model, progress, MessageStatus.PARTIAL)
        if progress.text.strip() or progress.prompt_tokens:
            await self._limits.add_tokens(user_id, model, progress.prompt_tokens, progress.completion_tokens)
        else:  # failed before an answer: the gateway does not bill it, nor do the limits
            await self._limits.give_back(user_id, model)
        refused = bool(turn.images.message_ids) and refused_for_images(error)
        if refused:
            await self._storage.conversations.refuse_images(turn.images.message_ids)
        self.log_turn(turn.chat, model, progress, started, f"error:{error.kind}")
        shown = display_text(progress.text)
        kind = ErrorKind.VISION_REFUSED if refused else error.kind
        return TurnFailed(kind, error.message, model, error.request_id, error.status, shown, turn.answer_row)

    async def done(
        self, turn: TurnContext, progress: Progress, stopped: bool, started: float
    ) -> AsyncIterator[TurnEvent]:
        """Store and report an answer that ended normally (or was stopped)."""
        answer_row, model = turn.answer_row, turn.model
        await self.finish(answer_row, model, progress, MessageStatus.PARTIAL if stopped else MessageStatus.COMPLETE)
        if not progress.completion_tokens:
            progress.completion_tokens = estimate_tokens(progress.text) if progress.text else 0
        await self._limits.add_tokens(turn.user_id, model, progress.prompt_tokens, progress.completion_tokens)
        self.log_turn(turn.chat, model, progress, started, "stopped" if stopped else "ok")
        if not progress.text.strip():
            if stopped:
                await self.mark_delivered(answer_row)  # stopped before a word: nothing to show
                yield TurnDone("", model, 0, partial=True)
                return
            if turn.images.message_ids:  # an empty answer to a request with images: the images are the likely cause
                await self._storage.conversations.refuse_images(turn.images.message_ids)
                reason = "empty answer to a request with images"
                yield TurnFailed(ErrorKind.VISION_REFUSED, reason, model, answer_id=answer_row)
                return
            yield TurnFailed(ErrorKind.EMPTY_ANSWER, "the model returned an empty answer", model, answer_id=answer_row)
            return
        shown = await self._media.collect(progress.text)
        yield progress.done(shown.text, model, answer_row, stopped)
        pictures = [image for image in progress.images if await inspect_image_async(image) is not None]
        if pictures or shown.images:
            yield AnswerImages((*pictures, *shown.images))

    async def finish(self, answer_row: int, model: str, progress: Progress, status: MessageStatus) -> None:
        """The answer row gets the text (FAILED when none came). Shielded: a cancelled turn still stores it."""
        stored = storable_text(progress.text) if progress.text.strip() else ""
        await asyncio.shield(
            self._storage.conversations.finish_answer(
                answer_row,
                stored,
                status if stored else MessageStatus.FAILED,
                token_estimate=estimate_tokens(stored) if stored else NO_ANSWER_TOKENS,
                model=model,
                prompt_tokens=progress.prompt_tokens or None,
                completion_tokens=progress.completion_tokens or None,
            )
        )

    def log_turn(self, chat: ChatKey, model: str, progress: Progress, started: float, status: str) -> None:
        """One line a turn (fields apart for LOG_FORMAT=json), and the metrics."""
        latency = time.monotonic() - started
        first = progress.first_text_at - started if progress.first_text_at is not None else None
        fields = {"chat": chat.chat_id, "topic": chat.thread_id, "model": model, "status": status}
        fields |= {"prompt_tokens": progress.prompt_tokens, "completion_tokens": progress.completion_tokens}
        fields |= {"chars": len(progress.text), "latency": round(latency, 3), "first_text": first and round(first, 3)}
        log.info(
            "turn chat=%s topic=%s model=%s prompt_tokens=%d completion_tokens=%d chars=%d latency=%.2fs status=%s",
            chat.chat_id,
            chat.thread_id,
            model,
            progress.prompt_tokens,
            progress.completion_tokens,
            len(progress.text),
            latency,
            status,
            extra=fields,  # separate fields for LOG_FORMAT=json
        )
        if self._metrics is not None:
            self._metrics.turn(status, model, latency, first)
