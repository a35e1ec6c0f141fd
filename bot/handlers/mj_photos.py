"""/blend (an album of 2–5 photos) and /describe (one photo), for Midjourney."""

from __future__ import annotations

from telegram import Message, Update

from bot.context import BotContext
from bot.core.sizes import TELEGRAM_DOWNLOAD_LIMIT
from bot.i18n import pick_language, t
from storage import ChatKey

from .common import command_argument, command_name, language, thread_id_of
from .imagine import show_outcome
from .media_io import image_file, photo_data_url


def caption_command(message: Message) -> str:
    """The command a caption starts with, lower-cased and without the bot's name ("" when none)."""
    return command_name(message)[0].lower()


async def _photo_url(context: BotContext, message: Message, lang: str) -> str | None:
    """The message's photo or image file as a data URL; None (the user told why) when it cannot be sent."""
    found = image_file(message)
    if found is None:
        await message.reply_text(t(lang, "mj.describe_usage"))
        return None
    file_id, size = found
    if size and size > TELEGRAM_DOWNLOAD_LIMIT:
        await message.reply_text(t(lang, "mj.photo_too_big"))
        return None
    image = await photo_data_url(context.bot, file_id)
    if image is None:
        await message.reply_text(t(lang, "image.unreadable"))
    return image


async def describe_command(update: Update, context: BotContext) -> None:
    """/describe as a reply to a photo."""
    message = update.effective_message
    if message is None:
        return
    replied = message.reply_to_message
    if replied is None or image_file(replied) is None:
        await message.reply_text(t(language(update, context), "mj.describe_usage"))
        return
    await describe_photo(context, message, replied)


async def blend_command(update: Update, context: BotContext) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(t(language(update, context), "mj.blend_usage"))


async def describe_photo(
    context: BotContext, message: Message, photo_message: Message | None = None
) -> None:
    source = photo_message or message
    user = message.from_user
    if user is None:
        return
    lang = pick_language(user.language_code)
    image = await _photo_url(context, source, lang)
    if image is None:
        return
    chat = ChatKey(message.chat_id, thread_id_of(message))
    outcome = await context.services.mj.describe(chat, user.id, lang, image, message.message_id)
    await show_outcome(context, message, lang, outcome)


async def blend_album(context: BotContext, parts: list[Message]) -> None:
    captioned = next((m for m in parts if m.caption), parts[0])
    user = captioned.from_user
    if user is None:
        return
    lang = pick_language(user.language_code)
    photos = [m for m in parts if image_file(m) is not None]
    if not 2 <= len(photos) <= 5:
        await captioned.reply_text(t(lang, "mj.blend_usage"))
        return
    images = []
    for photo in photos:
        image = await _photo_url(context, photo, lang)
        if image is None:
            return
        images.append(image)
    chat = ChatKey(captioned.chat_id, thread_id_of(captioned))
    dimensions = command_argument(captioned) or "square"
    outcome = await context.services.mj.blend(
        chat, user.id, lang, images, dimensions, captioned.message_id
    )
    await show_outcome(context, captioned, lang, outcome)
