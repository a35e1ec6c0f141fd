"""The last line of defence: log the failure, tell the user briefly, keep serving everyone else."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.i18n import t
from bot.render.telegram_io import is_transport_error

from .common import language, thread_id_of

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    if isinstance(error, TelegramError) and is_transport_error(error):
        # a reply lost on the way (or delivered before the connection dropped): nothing is broken, and a
        # "something went wrong" could follow a reply that did arrive
        log.warning("a reply to an update was lost on the way to Telegram: %s", error)
        return
    log.error("unhandled error while processing an update", exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    # A message, also for a button press: the press may have been answered already, and answering it
    # twice is refused ("query is too old").
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            t(language(update, context), "error.internal"),
            message_thread_id=thread_id_of(update.effective_message) or None,
        )
    except TelegramError:
        log.warning("could not tell the user about the error")
