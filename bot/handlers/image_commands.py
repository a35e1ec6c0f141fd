"""/image (draw), /edit (a photo's caption), /tts (read aloud) and /voice (spoken replies)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatAction

from bot.context import BotContext
from bot.core.errors import ErrorKind, WenwenError
from bot.core.limits import DailyLimitReached
from bot.core.media import parse_image_flags
from bot.core.sizes import TELEGRAM_DOWNLOAD_LIMIT
from bot.i18n import t
from bot.render.errors import failure_text, limit_text
from bot.render.media import send_images
from bot.render.telegram_io import Target, TelegramText

from .common import chat_key, command_argument, language, reply, thread_id_of
from .governance import group_admins_only
from .media_io import chat_action, checked_image, image_file, speak

log = logging.getLogger(__name__)


def image_error(lang: str, error: WenwenError, model: str = "") -> str:
    """Account problems read as everywhere else; anything else names what went wrong with the image."""
    if error.kind in (ErrorKind.INVALID_KEY, ErrorKind.QUOTA, ErrorKind.RATE_LIMITED, ErrorKind.MODEL_UNAVAILABLE):
        return failure_text(lang, error, model)
    return t(lang, "image.failed", reason=error.message[:300])


def _io(update: Update, context: BotContext) -> TelegramText:
    chat, message = update.effective_chat, update.effective_message
    assert chat is not None
    return TelegramText(context.bot, Target(chat.id, thread_id_of(message) or None))


async def image_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    lang = language(update, context)
    media = context.services.media
    request = parse_image_flags(command_argument(message), media.image_model)
    if not request.prompt:
        await message.reply_text(t(lang, "image.usage"))
        return
    user = update.effective_user
    if user is None:
        return
    await chat_action(update, context, ChatAction.UPLOAD_PHOTO)
    try:
        images = await media.draw(request, user.id)
    except DailyLimitReached as error:
        await message.reply_text(limit_text(lang, error.reached), do_quote=True)
        return
    except WenwenError as error:
        log.info("image generation failed: %s", error)
        await message.reply_text(image_error(lang, error, media.image_model), do_quote=True)
        return
    await send_images(_io(update, context), images)


async def edit_photo(update: Update, context: BotContext) -> None:
    """A photo with the caption `/edit <instruction>`: /v1/images/edits."""
    message = update.effective_message
    if message is None:
        return
    lang = language(update, context)
    request = parse_image_flags(command_argument(message), "")
    photo = image_file(message)
    if not request.prompt or photo is None:
        await message.reply_text(t(lang, "edit.usage"))
        return
    file_id, size = photo
    if size and size > TELEGRAM_DOWNLOAD_LIMIT:
        await message.reply_text(t(lang, "file.too_big"))
        return
    await chat_action(update, context, ChatAction.UPLOAD_PHOTO)
    checked = await checked_image(context.bot, file_id)
    if checked is None:
        await message.reply_text(t(lang, "image.unreadable"))
        return
    user = update.effective_user
    if user is None:
        return
    try:
        images = await context.services.media.edit(checked.data, checked.mime, request, user.id)
    except DailyLimitReached as error:
        await message.reply_text(limit_text(lang, error.reached), do_quote=True)
        return
    except WenwenError as error:
        log.info("image edit failed: %s", error)
        await message.reply_text(image_error(lang, error), do_quote=True)
        return
    await send_images(_io(update, context), images)


async def edit_command(update: Update, context: BotContext) -> None:
    """/edit typed as text: it belongs in a photo's caption."""
    await reply(update, context, "edit.usage")


async def tts_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None:
        return
    replied = message.reply_to_message
    text = command_argument(message) or ((replied.text or replied.caption or "") if replied else "")
    if not text.strip():
        await reply(update, context, "tts.usage")
        return
    await speak(update, context, text)


async def voice_command(update: Update, context: BotContext) -> None:
    """/voice on|off, or /voice to toggle."""
    message = update.effective_message
    if message is None:
        return
    if not await group_admins_only(update, context):
        return
    conversations = context.services.conversations
    chat = chat_key(update)
    wanted = command_argument(message).lower()
    enabled = wanted in ("on", "1", "yes", "开", "开启") if wanted else not await conversations.voice_replies(chat)
    await conversations.set_voice_replies(chat, enabled)
    await reply(update, context, "voice.on" if enabled else "voice.off")
