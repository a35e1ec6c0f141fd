"""Text messages: decide whether to answer, run the turn in core, hand its events to render."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.core.conversation import Quote, UserTurn
from bot.core.events import AnswerDelta, ReasoningDelta, TurnDone, TurnEvent, TurnFailed
from bot.i18n import t
from bot.render.errors import failure_text
from bot.render.keyboards import stop_keyboard
from bot.render.stream import LivePainter, StreamingReply
from bot.render.telegram_io import Target, TelegramText
from bot.wiring import Services

from .common import chat_key, language, services, thread_id_of

log = logging.getLogger(__name__)


def addressed_text(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The text meant for the bot, or None when a group message is not for it.

    Private chats: every message. Groups: a mention of the bot (removed from the text) or a
    reply to one of the bot's messages.
    """
    text = message.text or ""
    if message.chat.type == "private":
        return text
    mention = f"@{bot_username}".lower()
    if mention in text.lower():
        start = text.lower().index(mention)
        return (text[:start] + text[start + len(mention) :]).strip()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        if not message.is_topic_message or replied.message_id != message.message_thread_id:
            return text
    return None


def quote_of(message: Message) -> Quote | None:
    """The replied-to message (not the topic's own header message) as a quote."""
    replied = message.reply_to_message
    if replied is None or (message.is_topic_message and replied.message_id == message.message_thread_id):
        return None
    text = replied.text or replied.caption or ""
    return Quote(replied.message_id, text) if text.strip() else None


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    text = addressed_text(message, context.bot.username, context.bot.id)
    if text is None:
        return
    if not text.strip():
        await message.reply_text(t(language(update), "empty.text"))
        return
    turn = UserTurn(chat_key(update), user.id, text, message.message_id, quote_of(message))
    svc = services(context)
    with svc.turns.running(turn.chat) as stop:
        await render_turn(svc, update, context, svc.conversations.run_turn(turn, stop))


async def render_turn(
    svc: Services, update: Update, context: ContextTypes.DEFAULT_TYPE, events: AsyncIterator[TurnEvent]
) -> None:
    """Stream a turn's events to the chat and leave the final answer (or a clear error) there."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    lang = language(update)
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
    painter.start()  # the "Thinking…" draft goes out while the request is on its way
    try:
        await _show_events(svc, io, stream, painter, events, lang)
    finally:
        await painter.close()


async def _show_events(
    svc: Services,
    io: TelegramText,
    stream: StreamingReply,
    painter: LivePainter,
    events: AsyncIterator[TurnEvent],
    lang: str,
) -> None:
    async for event in events:
        if isinstance(event, AnswerDelta):
            painter.push(event.text)
            continue
        if isinstance(event, ReasoningDelta):
            continue  # the painter keeps the draft alive while the model thinks
        await painter.close()
        if isinstance(event, TurnDone):
            footer = t(lang, "stopped.suffix") if event.partial else None
            if svc.settings.show_usage_footer and not event.partial:
                footer = f"— {event.model} · {event.prompt_tokens}+{event.completion_tokens} tokens"
            if event.text or footer:
                ids = await stream.finish(event.text, footer)
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
