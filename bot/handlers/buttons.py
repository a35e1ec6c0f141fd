"""Inline buttons that control a running answer (⏹) and anything unknown or forged."""

from __future__ import annotations

from telegram import Message, Update

from bot.context import BotContext
from bot.i18n import t
from storage import ChatKey

from .common import language, thread_id_of
from .governance import is_group_admin


async def stop_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.message is None:
        return
    chat = ChatKey(query.message.chat.id, thread_id_of(query.message if isinstance(query.message, Message) else None))
    may_stop_any = await is_group_admin(update, context)
    stopped = context.services.turns.stop(chat, query.from_user.id, may_stop_any=may_stop_any)
    if stopped is False:  # not here: another process may be writing it (it reads the request within a second)
        stopped = await context.services.cluster.stop_elsewhere(chat, query.from_user.id, may_stop_any=may_stop_any)
    key = "stop.not_yours" if stopped is None else "stop.done" if stopped else "stop.nothing"
    await query.answer(t(language(update, context), key), show_alert=stopped is None)


async def unknown_button(update: Update, context: BotContext) -> None:
    """Forged, stale or unknown callback data: a short answer, nothing else."""
    if update.callback_query is not None:
        await update.callback_query.answer(t(language(update, context), "button.unknown"))
