"""Small helpers every handler uses: who, where, which language, and the wiring."""

from __future__ import annotations

import html

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.i18n import pick_language, t
from bot.wiring import Services, services_of
from storage import ChatKey


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return services_of(context.bot_data)


def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The chat's language from /settings, else the user's Telegram language."""
    if update.effective_chat is not None:
        chosen = services(context).languages.get(chat_key(update))
        if chosen:
            return chosen
    user = update.effective_user
    return pick_language(user.language_code if user else None)


def thread_id_of(message: Message | None) -> int:
    """The forum topic of a message (0 outside topics; plain reply threads are not topics)."""
    if message is not None and message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return 0


def chat_key(update: Update) -> ChatKey:
    chat = update.effective_chat
    assert chat is not None
    return ChatKey(chat.id, thread_id_of(update.effective_message))


def text_for(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, **values: object) -> str:
    """A catalog message with its values HTML-escaped (catalog texts are HTML)."""
    escaped = {name: html.escape(str(value)) for name, value in values.items()}
    return t(language(update, context), key, **escaped)


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, **values: object) -> Message | None:
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(
        text_for(update, context, key, **values), parse_mode="HTML", do_quote=not _is_private(update)
    )


def _is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == "private"
