"""The access gate: runs first for every update, buttons included."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.i18n import t

from .common import language
from .inline import refuse_inline_query

log = logging.getLogger(__name__)


async def gate(update: Update, context: BotContext) -> None:
    """Let allowed users and admins through; tell a stranger their id (once a minute) and stop the update."""
    user = update.effective_user
    svc = context.services
    query = update.callback_query
    if query is not None and _not_on_a_bot_message(query.message, context.bot.id):
        # Telegram puts buttons only on the bot's own messages: anything else is forged
        await query.answer(t(language(update, context), "button.unknown"))
        raise ApplicationHandlerStop
    if user is not None and svc.access.allows(user.id, update.effective_chat.id if update.effective_chat else None):
        return
    if user is None:
        raise ApplicationHandlerStop  # channel posts and the like: nothing to answer
    if update.inline_query is not None:  # no results, a "how to get access" button; no gateway call
        await refuse_inline_query(update.inline_query)
        raise ApplicationHandlerStop
    lang = language(update, context)
    if update.callback_query is not None:
        if svc.strangers.should_tell(user.id):
            await update.callback_query.answer(t(lang, "access.denied_button"), show_alert=True)
    elif update.effective_message is not None and update.effective_chat is not None:
        private = update.effective_chat.type == "private"
        if (private or _addressed(update, context)) and svc.strangers.should_tell(user.id):
            log.info("refused update from user %s", user.id)
            await update.effective_message.reply_text(t(lang, "access.denied", user_id=user.id), parse_mode="HTML")
    raise ApplicationHandlerStop


def _not_on_a_bot_message(message: object, bot_id: int) -> bool:
    return isinstance(message, Message) and message.from_user is not None and message.from_user.id != bot_id


def _addressed(update: Update, context: BotContext) -> bool:
    """In groups a stranger is answered only when they address the bot (command or mention)."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    return text.startswith("/") or f"@{context.bot.username}".lower() in text.lower()
