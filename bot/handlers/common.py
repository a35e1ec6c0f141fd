"""Small helpers every handler uses: who, where, which language."""

from __future__ import annotations

import html
from typing import NamedTuple

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.i18n import pick_language, t
from bot.render.telegram_io import clip, is_not_modified
from storage import ChatKey


def language(update: Update, context: BotContext) -> str:
    """The chat's language from /settings, else the user's Telegram language."""
    if update.effective_chat is not None:
        chosen = context.services.languages.get(chat_key(update))
        if chosen:
            return chosen
    user = update.effective_user
    return pick_language(user.language_code if user else None)


def thread_id_of(message: Message | None) -> int:
    """The forum topic of a message (0 outside topics; plain reply threads are not topics)."""
    if message is not None and message.is_topic_message and message.message_thread_id:
        return message.message_thread_id
    return 0


def command_argument(message: Message) -> str:
    """What follows the command in a message's text or caption (`/imagine a cat` → "a cat")."""
    parts = (message.text or message.caption or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 and parts[0].startswith("/") else ""


def command_name(message: Message) -> tuple[str, str]:
    """The command a message's text or caption starts with, and the bot it names, as typed:
    `/Blend@wenwen_bot x` → ("/Blend", "wenwen_bot"); ("", "") when it starts with no command."""
    text = (message.text or message.caption or "").strip()
    if not text.startswith("/"):
        return "", ""
    command, _, target = text.split(maxsplit=1)[0].partition("@")
    return command, target


class Sender(NamedTuple):
    user_id: int
    lang: str
    chat: ChatKey


def sender_of(message: Message) -> Sender | None:
    """Who sent a message handled without its Update (photos, albums): the id, language and chat."""
    user = message.from_user
    if user is None:
        return None
    return Sender(user.id, pick_language(user.language_code), ChatKey(message.chat_id, thread_id_of(message)))


def captioned_part(parts: list[Message]) -> Message:
    """The part of an album that carries its caption (Telegram puts it on one), else the first."""
    return next((m for m in parts if m.caption), parts[0])


def chat_key(update: Update) -> ChatKey:
    chat = update.effective_chat
    assert chat is not None
    return ChatKey(chat.id, thread_id_of(update.effective_message))


MAX_ECHO = 300  # characters of anything the user typed that a reply repeats back


def text_for(
    update: Update, context: BotContext, key: str, *, echo_limit: int = MAX_ECHO, **values: object
) -> str:
    """A catalog message with its values clipped (an echo must not make the reply too long) and HTML-escaped."""
    escaped = {name: html.escape(clip(str(value), echo_limit)) for name, value in values.items()}
    return t(language(update, context), key, **escaped)


async def edit_pressed(
    update: Update, context: BotContext, text: str | None, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Show `text` (HTML) and/or `markup` on the message a button is on.

    "Not modified" (a double tap) is success. A message that cannot take the text — a photo, or
    one Telegram no longer gives the bot — is not edited: the text comes as a new message instead.
    """
    query = update.callback_query
    message = query.message if query is not None else None
    if not isinstance(message, Message):  # too old: Telegram sent an inaccessible message
        if text and update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text, parse_mode="HTML")
        return
    try:
        if text is None:
            await message.edit_reply_markup(markup)
        elif message.text is None:
            await message.reply_text(text, parse_mode="HTML", reply_markup=markup)
        else:
            await message.edit_text(text, parse_mode="HTML", reply_markup=markup)
    except BadRequest as error:
        if not is_not_modified(error):
            raise


async def reply(
    update: Update, context: BotContext, key: str, *, echo_limit: int = MAX_ECHO, **values: object
) -> Message | None:
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(
        text_for(update, context, key, echo_limit=echo_limit, **values),
        parse_mode="HTML",
        do_quote=not _is_private(update),
    )


def _is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == "private"
