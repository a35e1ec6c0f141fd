"""/forget and its confirm step. Thin: core.forget does the deleting.

In a private chat it deletes everything stored about the user (and their messages in groups become
"[deleted]"); in a group, the user's messages and tasks in that group only. Either way the question's
two buttons carry the asker's id and answer nobody else.
"""

from __future__ import annotations

import logging

from telegram import Message, Update

from bot.context import BotContext
from bot.i18n import t
from bot.render import callback_data
from bot.render.forget import forget_question, forgotten_text, offers

from .common import edit_pressed, language

log = logging.getLogger(__name__)


async def forget_command(update: Update, context: BotContext) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    private = chat.type == "private"
    text, markup = forget_question(
        language(update, context),
        user.id,
        private=private,
        loses_access=context.services.forget.loses_access(user.id),
    )
    await message.reply_text(text, parse_mode="HTML", reply_markup=markup, do_quote=not private)


async def forget_button(update: Update, context: BotContext) -> None:
    """`fgt:y|n:<user id>`: only that user, only on the question that offered it."""
    query, user = update.callback_query, update.effective_user
    if query is None or query.data is None or user is None:
        return
    lang = language(update, context)  # before the chat's language choice is forgotten
    press = callback_data.parse_forget(query.data)
    message = query.message
    if press is None or not isinstance(message, Message) or not offers(message, query.data):
        await query.answer(t(lang, "button.unknown"))
        return
    if user.id != press.user_id:
        await query.answer(t(lang, "forget.not_yours"), show_alert=True)
        return
    if not press.confirm:
        await query.answer()
        await edit_pressed(update, context, t(lang, "forget.cancelled"))
        return
    forget = context.services.forget
    if forget.running(user.id):
        await query.answer(t(lang, "forget.running"))
        return
    await query.answer(t(lang, "forget.working"))
    private = message.chat.type == "private"
    if private:
        lost_access = forget.loses_access(user.id)
        found = await forget.forget_user(user.id)
    else:
        lost_access = False
        found = await forget.forget_in_group(user.id, message.chat.id)
    log.info(
        "forget: %d conversation(s), %d message(s), %d group message(s) scrubbed, %d task(s)%s",
        found.conversations,
        found.messages,
        found.group_messages,
        found.tasks,
        "" if private else " (one group)",
    )
    await edit_pressed(update, context, forgotten_text(lang, found, private=private, lost_access=lost_access))
