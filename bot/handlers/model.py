"""/model: an inline picker built from the live model list, or /model <name>."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import BotContext
from bot.core.errors import ErrorKind, WenwenError
from bot.i18n import t
from bot.render import callback_data
from bot.render.keyboards import MODELS_PER_PAGE, model_keyboard, model_token
from bot.render.telegram_io import clip

from .common import chat_key, command_argument, edit_pressed, language, reply, text_for
from .governance import group_admins_only

log = logging.getLogger(__name__)


async def model_command(update: Update, context: BotContext) -> None:
    svc = context.services
    chat = chat_key(update)
    message = update.effective_message
    if message is None:
        return
    wanted = command_argument(message)
    if wanted and not await group_admins_only(update, context):
        return
    try:
        models = await svc.catalog.chat_models()
    except WenwenError as error:
        log.warning("model list failed: %s", error)
        if wanted:  # the gateway will say at the first turn if the name is wrong
            await svc.conversations.set_model(chat, wanted)
            await reply(update, context, "model.set", model=wanted)
        else:
            await reply(update, context, "model.list_failed", reason=list_failure(update, context, error))
        return
    if wanted:
        match = next((m for m in models if m.lower() == wanted.lower()), None)
        if match is None:
            await reply(update, context, "model.unknown", model=wanted)
            return
        await svc.conversations.set_model(chat, match)
        await reply(update, context, "model.set", model=match)
        return
    await _send_picker(update, context, models)


def list_failure(update: Update, context: BotContext, error: WenwenError) -> str:
    """Why the model list could not be loaded, in words a user can act on."""
    lang = language(update, context)
    if error.kind == ErrorKind.INVALID_KEY:
        return t(lang, "model.list_key")
    if error.kind == ErrorKind.NETWORK:
        return t(lang, "model.list_unreachable")
    return error.message


async def show_model_picker(update: Update, context: BotContext) -> None:
    """The picker on its own (from the /settings menu)."""
    try:
        models = await context.services.catalog.chat_models()
    except WenwenError as error:
        await reply(update, context, "model.list_failed", reason=list_failure(update, context, error))
        return
    await _send_picker(update, context, models)


async def _send_picker(update: Update, context: BotContext, models: list[str]) -> None:
    message = update.effective_message
    if message is None:
        return
    current = await context.services.conversations.model_for(chat_key(update))
    page = models.index(current) // MODELS_PER_PAGE if current in models else 0
    await message.reply_text(
        text_for(update, context, "model.current", model=current),
        parse_mode="HTML",
        reply_markup=model_keyboard(models, current, page, language(update, context)),
    )


async def model_button(update: Update, context: BotContext) -> None:
    """`model:<token>` picks a model, `models:<page>` turns the page."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    svc = context.services
    lang = language(update, context)
    chat = chat_key(update)
    press = callback_data.parse_model(query.data)
    if press is None:
        await query.answer(t(lang, "button.unknown"))
        return
    try:
        models = await svc.catalog.chat_models()
    except WenwenError as error:
        await query.answer(clip(error.message, 190), show_alert=True)
        return
    current = await svc.conversations.model_for(chat)
    if press.page is not None:
        await query.answer()
        await edit_pressed(update, context, None, model_keyboard(models, current, press.page, lang))
        return
    if not await group_admins_only(update, context):
        return
    match = next((m for m in models if model_token(m) == press.token), None)
    if match is None:
        await query.answer(t(lang, "model.stale"), show_alert=True)
        return
    await svc.conversations.set_model(chat, match)
    await query.answer(clip(t(lang, "model.set", model=match), 190))
    await edit_pressed(update, context, text_for(update, context, "model.set", model=match))
