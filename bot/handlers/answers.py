"""Showing a turn's answer in the chat: where it goes, the queued job that makes it, streaming its events."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot, Update

from bot.context import BotApplication, BotContext
from bot.core.events import (
    AnswerDelta,
    AnswerImages,
    ImagesSkipped,
    LimitHit,
    ModelSwitched,
    ReasoningUpdate,
    SearchUnavailable,
    Sources,
    ToolStep,
    TurnDone,
    TurnEvent,
    TurnFailed,
    TurnStarted,
)
from bot.core.turn_queue import Job
from bot.i18n import t
from bot.render.compose import AnswerView, compose, step_label
from bot.render.errors import failure_text, limit_text
from bot.render.keyboards import retry_keyboard, stop_keyboard
from bot.render.media import send_images
from bot.render.stream import LivePainter, StreamingReply
from bot.render.telegram_io import Target, TelegramText
from bot.wiring import Services
from storage import ChatKey

from .common import chat_key, language, thread_id_of
from .media_io import speak_if_wanted, telegram_image_fetcher

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AnswerPlace:
    """Where and how a turn's answer is shown: from an update, or from what a restart found."""

    chat: ChatKey
    target: Target
    private: bool
    lang: str
    user_id: int

    @classmethod
    def of(cls, update: Update, context: BotContext, user_id: int) -> AnswerPlace:
        message, chat = update.effective_message, update.effective_chat
        assert message is not None and chat is not None
        private = chat.type == "private"
        target = Target(chat.id, thread_id_of(message) or None, None if private else message.message_id)
        return cls(chat_key(update), target, private, language(update, context), user_id)


def answer_job(
    application: BotApplication,
    place: AnswerPlace,
    *,
    retry: bool = False,
    update: Update | None = None,
) -> Job:
    """The queued work of one turn: stream the answer to the chat, then a spoken reply if the chat wants one."""
    svc = application.bot_data.services
    bot = application.bot

    async def job() -> None:
        try:
            with svc.turns.running(place.chat, place.user_id) as stop:
                fetcher = telegram_image_fetcher(bot)
                answer = svc.conversations.retry if retry else svc.conversations.answer
                text = await render_turn(svc, bot, place, answer(place.chat, place.user_id, stop, fetcher))
            if text:
                await speak_if_wanted(bot, svc, place.chat, place.target, text, place.user_id, place.lang)
        except Exception as error:  # runs outside PTB's handler: hand failures to the same error handler
            if update is not None:
                await application.process_error(update, error)
            else:
                log.exception("a recovered turn failed")

    return job


def submit_answer(update: Update, context: BotContext, user_id: int, *, retry: bool = False) -> None:
    """Queue the answer to what this chat said (every message not answered yet)."""
    place = AnswerPlace.of(update, context, user_id)
    job = answer_job(context.application, place, retry=retry, update=update)
    context.services.turn_queue.submit(place.chat, job, kind="retry" if retry else "answer")


async def render_turn(svc: Services, bot: Bot, place: AnswerPlace, events: AsyncIterator[TurnEvent]) -> str | None:
    """Stream a turn's events to the chat and leave the final answer (or a clear error) there.

    Returns the answer's text when it completed. Nothing is shown when the turn has nothing to
    answer (a follow-up whose messages an earlier turn already answered)."""
    io = TelegramText(bot, place.target)
    chat_id = place.target.chat_id
    stream = StreamingReply(
        io,
        use_drafts=place.private and chat_id not in svc.no_drafts,
        interval=svc.settings.stream_interval_private if place.private else svc.settings.stream_interval_group,
        stop_markup=stop_keyboard(place.lang),
    )
    stream.on_drafts_refused = lambda: svc.no_drafts.add(chat_id)
    painter = LivePainter(stream)
    try:
        return await _show_events(svc, io, stream, painter, events, place.lang)
    finally:
        await painter.close()


async def _show_events(
    svc: Services,
    io: TelegramText,
    stream: StreamingReply,
    painter: LivePainter,
    events: AsyncIterator[TurnEvent],
    lang: str,
) -> str | None:
    answer: str | None = None
    view = AnswerView()
    async for event in events:
        if isinstance(event, TurnStarted):
            stream.on_new_message = _recorder(svc, event.answer_id)
            painter.start()  # the "Thinking…" draft goes out while the request is on its way
        elif isinstance(event, LimitHit):
            await io.send(limit_text(lang, event.reached), [])
            await svc.conversations.mark_delivered(event.answer_id)
        elif isinstance(event, SearchUnavailable):
            models = ", ".join(event.can_search[:8]) or "—"
            await io.send(t(lang, "search.unavailable", model=event.model, models=models), [])
        elif isinstance(event, ImagesSkipped):
            await io.send(t(lang, "vision.unreadable", count=event.count), [])
        elif isinstance(event, AnswerDelta | ReasoningUpdate | ToolStep | Sources):
            _note(view, event, lang)
            # rendered when painted (a few times per answer), not for every delta
            painter.push(lambda: compose(view, lang, streaming=True))
        elif isinstance(event, ModelSwitched):
            if event.first_time:
                await io.send(t(lang, "vision.switched", model=event.model, chat_model=event.chat_model), [])
        elif isinstance(event, AnswerImages):
            await send_images(io, event.images)
        elif isinstance(event, TurnDone):
            await painter.close()
            answer = await _finish(svc, stream, view, event, lang)
        elif isinstance(event, TurnFailed):
            await painter.close()
            await _fail(svc, io, stream, event, lang)
    return answer


async def _finish(svc: Services, stream: StreamingReply, view: AnswerView, event: TurnDone, lang: str) -> str | None:
    footer = None
    if event.partial:
        footer = t(lang, "interrupted.suffix" if svc.turns.was_interrupted(_chat_of(stream)) else "stopped.suffix")
    if svc.settings.show_usage_footer and not event.partial:
        footer = f"— {event.model} · {event.prompt_tokens}+{event.completion_tokens} tokens"
    view.answer = f"{event.text}\n\n{footer}" if footer else event.text
    view.reasoning = event.reasoning
    view.steps = [step_label(lang, name, detail) for name, detail in event.steps]
    view.sources = list(event.sources)
    if view.answer.strip() or view.has_process():
        # 🔄 answers the same question again (only the chat's last answer's button works)
        markup = retry_keyboard(lang, event.answer_id) if event.answer_id else None
        ids = await stream.finish(compose(view, lang), markup=markup)
        if event.answer_id:
            await svc.conversations.mark_delivered(event.answer_id, tuple(ids))
    return None if event.partial else event.text


async def _fail(svc: Services, io: TelegramText, stream: StreamingReply, event: TurnFailed, lang: str) -> None:
    ids: list[int] = []
    if event.text:
        ids = await stream.finish(event.text, "✂️")
    elif stream.message_ids:
        await stream.finish("…")
    await io.send(failure_text(lang, event), [])
    if event.answer_id:
        await svc.conversations.mark_delivered(event.answer_id, tuple(ids) if ids else None)


def _chat_of(stream: StreamingReply) -> ChatKey:
    target = stream.target
    return ChatKey(target.chat_id, target.thread_id or 0)


def _recorder(svc: Services, answer_id: int) -> Callable[[list[int]], Awaitable[None]]:
    """Remembers the chat messages an answer is shown in while it streams (a restart can close them)."""

    async def record(ids: list[int]) -> None:
        await svc.conversations.attach_reply_ids(answer_id, tuple(ids))

    return record


def _note(view: AnswerView, event: AnswerDelta | ReasoningUpdate | ToolStep | Sources, lang: str) -> None:
    """Fold a streaming event into what the preview shows."""
    if isinstance(event, AnswerDelta):
        view.answer = event.text
    elif isinstance(event, ReasoningUpdate):
        view.reasoning = event.text
    elif isinstance(event, ToolStep):
        view.steps.append(step_label(lang, event.name, event.detail))
    else:
        view.sources = list(event.items)
