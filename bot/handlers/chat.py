"""Text messages: decide whether to answer, run the turn in core, hand its events to render."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from bot.core.conversation import UserTurn
from bot.i18n import t

from .addressing import addressed_text, quote_of
from .answers import submit_answer
from .common import chat_key, language

log = logging.getLogger(__name__)


async def on_text(update: Update, context: BotContext) -> None:
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
    lang = language(update, context)
    turn = UserTurn(chat_key(update), user.id, text, message.message_id, quote_of(message), lang=lang)
    await run_chat_turn(update, context, turn)


async def run_chat_turn(update: Update, context: BotContext, turn: UserTurn) -> None:
    """Store what the user said at once, then have it answered in the chat's turn queue.

    The update returns right away: messages that arrive while an answer is written are stored
    too and answered together by one follow-up turn (`ChatTurnQueue`)."""
    await context.services.conversations.add_user_message(turn)
    submit_answer(update, context, turn.user_id)
