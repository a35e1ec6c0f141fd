"""Text messages: decide whether to answer, run the turn in core, hand its events to render."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from telegram import Update
from telegram.ext import ContextTypes

from bot.core.conversation import UserTurn
from bot.core.events import (
    AnswerDelta,
    AnswerImages,
    ImagesSkipped,
    ModelSwitched,
    ReasoningDelta,
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
from bot.render.errors import failure_text
from bot.render.keyboards import stop_keyboard
from bot.render.media import send_images
from bot.render.stream import LivePainter, StreamingReply
from bot.render.telegram_io import Target, TelegramText
from bot.wiring import Services

from .addressing import addressed_text, quote_of
from .common import chat_key, language, services, thread_id_of
from .media_io import speak_if_wanted, telegram_image_fetcher

log = logging.getLogger(__name__)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    text = addressed_text(message, context.bot.username, context.bot.id)
    if text is None:
        return
    if not text.strip():
        await message.reply_text(t(language(update, context), "empty.text"))
        return
    turn = UserTurn(chat_key(update), user.id, text, message.message_id, quote_of(message))
    await run_chat_turn(update, context, turn)


async def run_chat_turn(update: Update, context: ContextTypes.DEFAULT_TYPE, turn: UserTurn) -> None:
    """Store what the user said at once, then have it answered in the chat's turn queue.

    The update returns right away: messages that arrive while an answer is written are stored
    too and answered together by one follow-up turn (`ChatTurnQueue`)."""
    svc = services(context)
    await svc.conversations.add_user_message(turn)
    svc.turn_queue.submit(turn.chat, answer_job(update, context, turn.user_id))


def answer_job(update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int, *, retry: bool = False) -> Job:
    """The queued work of one turn: stream the answer to the chat, then a spoken reply if the chat wants one."""
    svc = services(context)
    chat = chat_key(update)

    async def job() -> None:
        try:
            with svc.turns.running(chat) as stop:
                fetcher = telegram_image_fetcher(context.bot)
                events = (svc.conversations.retry if retry else svc.conversations.answer)(chat, user_id, stop, fetcher)
                answer = await render_turn(svc, update, context, events)
            if answer:
                await speak_if_wanted(update, context, answer)
        except Exception as error:  # runs outside PTB's handler: hand failures to the same error handler
            await context.application.process_error(update, error)

    return job


async def render_turn(
    svc: Services, update: Update, context: ContextTypes.DEFAULT_TYPE, events: AsyncIterator[TurnEvent]
) -> str | None:
    """Stream a turn's events to the chat and leave the final answer (or a clear error) there.

    Returns the answer's text when it completed. Nothing is shown when the turn has nothing to
    answer (a follow-up whose messages an earlier turn already answered)."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    lang = language(update, context)
    private = chat.type == "private"
    thread = thread_id_of(message) or None
    target = Target(chat.id, thread, None if private else message.message_id)
    io = TelegramText(context.bot, target)
    stream = StreamingReply(
        io,
        use_drafts=private,
        interval=svc.settings.stream_interval_private if private else svc.settings.stream_interval_group,
        stop_markup=stop_keyboard(lang),
    )
    painter = LivePainter(stream)
    try:
        return await _show_events(svc, io, stream, painter, events, lang)
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
            painter.start()  # the "Thinking…" draft goes out while the request is on its way
            continue
        if isinstance(event, ImagesSkipped):
            await io.send(t(lang, "vision.unreadable", count=event.count), [])
            continue
        if isinstance(event, AnswerDelta | ReasoningDelta | ToolStep | Sources):
            _note(view, event, lang)
            # rendered when painted (a few times per answer), not for every delta
            painter.push(lambda: compose(view, lang, streaming=True))
            continue
        if isinstance(event, ModelSwitched):
            if event.first_time:
                await io.send(t(lang, "vision.switched", model=event.model, chat_model=event.chat_model), [])
            continue
        if isinstance(event, AnswerImages):
            await send_images(io, event.images)
            continue
        await painter.close()
        if isinstance(event, TurnDone):
            answer = None if event.partial else event.text
            footer = t(lang, "stopped.suffix") if event.partial else None
            if svc.settings.show_usage_footer and not event.partial:
                footer = f"— {event.model} · {event.prompt_tokens}+{event.completion_tokens} tokens"
            view.answer = f"{event.text}\n\n{footer}" if footer else event.text
            view.reasoning = event.reasoning
            view.steps = [step_label(lang, name, detail) for name, detail in event.steps]
            view.sources = list(event.sources)
            if view.answer.strip() or view.has_process():
                ids = await stream.finish(compose(view, lang))
                if event.answer_id:
                    await svc.conversations.attach_reply_ids(event.answer_id, tuple(ids))
        elif isinstance(event, TurnFailed):
            if event.text:
                ids = await stream.finish(event.text, "✂️")
                if event.answer_id:
                    await svc.conversations.attach_reply_ids(event.answer_id, tuple(ids))
            elif stream.message_ids:
                await stream.finish("…")
            await io.send(failure_text(lang, event), [])
    return answer


def _note(view: AnswerView, event: AnswerDelta | ReasoningDelta | ToolStep | Sources, lang: str) -> None:
    """Fold a streaming event into what the preview shows."""
    if isinstance(event, AnswerDelta):
        view.answer = event.text
    elif isinstance(event, ReasoningDelta):
        view.reasoning = event.text
    elif isinstance(event, ToolStep):
        view.steps.append(step_label(lang, event.name, event.detail))
    else:
        view.sources = list(event.items)
