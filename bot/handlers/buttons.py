"""Inline buttons that control a running answer (⏹) and anything unknown or forged."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.i18n import t
from storage import ChatKey

from .common import language, services, thread_id_of


async def stop_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.message is None:
        return
    chat = ChatKey(query.message.chat.id, thread_id_of(query.message if isinstance(query.message, Message) else None))
    stopped = services(context).turns.stop(chat)
    await query.answer(t(language(update, context), "stop.done" if stopped else "stop.nothing"))


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forged, stale or unknown callback data: a short answer, nothing else."""
    if update.callback_query is not None:
        await update.callback_query.answer(t(language(update, context), "button.unknown"))
