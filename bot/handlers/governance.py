"""Who may change a group for everyone: its administrators (as Telegram reports them) and the bot's admins."""

from __future__ import annotations

import logging

from telegram import ChatMemberAdministrator, ChatMemberOwner, Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.i18n import t

from .common import language, reply

log = logging.getLogger(__name__)


async def is_group_admin(update: Update, context: BotContext) -> bool:
    """True in private chats, for the bot's admins, and for a group's creator and administrators.

    Telegram's answer (getChatMember) is remembered for a few minutes: a busy group must not cost a
    call per message. A failed lookup counts as "not an admin" (and is not remembered).
    """
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    svc = context.services
    if chat.type == "private" or svc.access.is_admin(user.id):
        return True
    known = svc.group_admins.get((chat.id, user.id))
    if known is not None:
        return known
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as error:
        log.info("could not ask Telegram whether %s administers chat %s: %s", user.id, chat.id, error)
        return False
    answer = isinstance(member, ChatMemberOwner | ChatMemberAdministrator)
    svc.group_admins.put((chat.id, user.id), answer)
    return answer


async def group_admins_only(update: Update, context: BotContext) -> bool:
    """For changes to the whole chat: True when allowed; otherwise the user is told (a press gets an alert)."""
    if await is_group_admin(update, context):
        return True
    query = update.callback_query
    if query is not None:
        await query.answer(t(language(update, context), "group.admins_only"), show_alert=True)
    else:
        await reply(update, context, "group.admins_only")
    return False
