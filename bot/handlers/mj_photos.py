"""/blend (an album of 2–5 photos) and /describe (one photo), for Midjourney."""

from __future__ import annotations

from telegram import Message, Update

from bot.context import BotContext
from bot.i18n import t

from .common import captioned_part, command_argument, command_name, language, sender_of
from .imagine import show_outcome
from .media_io import image_file
from .mj_uploads import photo_data_urls


def caption_command(message: Message) -> str:
    """The command a caption starts with, lower-cased and without the bot's name ("" when none)."""
    return command_name(message)[0].lower()


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
    who = sender_of(message)
    if who is None:
        return
    if image_file(source) is None:
        await source.reply_text(t(who.lang, "mj.describe_usage"))
        return
    images = await photo_data_urls(context, [source], who.lang)
    if images is None:
        return
    outcome = await context.services.mj.describe(who.chat, who.user_id, who.lang, images[0], message.message_id)
    await show_outcome(context, message, who.lang, outcome)


async def blend_album(context: BotContext, parts: list[Message]) -> None:
    captioned = captioned_part(parts)
    who = sender_of(captioned)
    if who is None:
        return
    photos = [m for m in parts if image_file(m) is not None]
    if not 2 <= len(photos) <= 5:
        await captioned.reply_text(t(who.lang, "mj.blend_usage"))
        return
    images = await photo_data_urls(context, photos, who.lang)
    if images is None:
        return
    dimensions = command_argument(captioned) or "square"
    outcome = await context.services.mj.blend(
        who.chat, who.user_id, who.lang, images, dimensions, captioned.message_id
    )
    await show_outcome(context, captioned, who.lang, outcome)
