"""/blend (an album of 2–5 photos) and /describe (one photo), for Midjourney."""

from __future__ import annotations

import base64

from telegram import Message, PhotoSize, Update
from telegram.ext import ContextTypes

from bot.i18n import pick_language, t
from storage import ChatKey

from .common import language, services, thread_id_of
from .imagine import command_argument, show_outcome

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024


def caption_command(message: Message) -> str:
    text = (message.caption or message.text or "").strip()
    return text.split(maxsplit=1)[0].split("@")[0].lower() if text.startswith("/") else ""


async def photo_data_url(context: ContextTypes.DEFAULT_TYPE, photo: PhotoSize) -> str | None:
    """The photo's exact bytes as a data URL, or None when Telegram will not let bots download it."""
    if photo.file_size and photo.file_size > TELEGRAM_DOWNLOAD_LIMIT:
        return None
    data = await (await context.bot.get_file(photo.file_id)).download_as_bytearray()
    return "data:image/jpeg;base64," + base64.b64encode(bytes(data)).decode()


async def describe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/describe as a reply to a photo."""
    message = update.effective_message
    if message is None:
        return
    replied = message.reply_to_message
    if replied is None or not replied.photo:
        await message.reply_text(t(language(update, context), "mj.describe_usage"))
        return
    await describe_photo(context, message, replied)


async def blend_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(t(language(update, context), "mj.blend_usage"))


async def describe_photo(
    context: ContextTypes.DEFAULT_TYPE, message: Message, photo_message: Message | None = None
) -> None:
    source = photo_message or message
    user = message.from_user
    if user is None:
        return
    lang = pick_language(user.language_code)
    image = await photo_data_url(context, source.photo[-1])
    if image is None:
        await message.reply_text(t(lang, "mj.photo_too_big"))
        return
    chat = ChatKey(message.chat_id, thread_id_of(message))
    outcome = await services(context).mj.describe(chat, user.id, lang, image, message.message_id)
    await show_outcome(context, message, lang, outcome)


async def blend_album(context: ContextTypes.DEFAULT_TYPE, parts: list[Message]) -> None:
    captioned = next((m for m in parts if m.caption), parts[0])
    user = captioned.from_user
    if user is None:
        return
    lang = pick_language(user.language_code)
    photos = [m for m in parts if m.photo]
    if not 2 <= len(photos) <= 5:
        await captioned.reply_text(t(lang, "mj.blend_usage"))
        return
    images = [await photo_data_url(context, m.photo[-1]) for m in photos]
    if any(image is None for image in images):
        await captioned.reply_text(t(lang, "mj.photo_too_big"))
        return
    chat = ChatKey(captioned.chat_id, thread_id_of(captioned))
    dimensions = command_argument(captioned) or "square"
    outcome = await services(context).mj.blend(
        chat, user.id, lang, [i for i in images if i], dimensions, captioned.message_id
    )
    await show_outcome(context, captioned, lang, outcome)
