"""Midjourney with the user's own photos: image prompts (/imagine as a caption), /mjedit and /faceswap."""

from __future__ import annotations

from telegram import Message, Update

from bot.context import BotContext
from bot.core.sizes import TELEGRAM_DOWNLOAD_LIMIT
from bot.i18n import pick_language, t

from .common import captioned_part, command_argument, language, sender_of
from .imagine import show_outcome
from .media_io import image_file, photo_data_url

IMAGE_PROMPTS_MAX = 5  # midjourney-proxy's base64Array takes up to five image prompts


async def photo_data_urls(context: BotContext, photos: list[Message], lang: str) -> list[str] | None:
    """Each photo checked and sized (bot/core/images.py) as a data URL; None (the user told why) if one cannot be."""
    images: list[str] = []
    for photo in photos:
        found = image_file(photo)
        if found is None:
            return None
        file_id, size = found
        if size and size > TELEGRAM_DOWNLOAD_LIMIT:
            await photo.reply_text(t(lang, "mj.photo_too_big"))
            return None
        image = await photo_data_url(context.bot, file_id)
        if image is None:
            await photo.reply_text(t(lang, "image.unreadable"))
            return None
        images.append(image)
    return images


async def imagine_photos(context: BotContext, parts: list[Message]) -> None:
    """A photo or an album of up to five captioned /imagine <prompt>: the photos are image prompts."""
    captioned = captioned_part(parts)
    who = sender_of(captioned)
    if who is None:
        return
    user_id, lang, chat = who
    prompt = command_argument(captioned)
    photos = [m for m in parts if image_file(m) is not None]
    if not prompt or not 1 <= len(photos) <= IMAGE_PROMPTS_MAX:
        await captioned.reply_text(t(lang, "mj.imagine_photos"))
        return
    images = await photo_data_urls(context, photos, lang)
    if images is None:
        return
    outcome = await context.services.mj.imagine(chat, user_id, lang, prompt, captioned.message_id, images)
    await show_outcome(context, captioned, lang, outcome)


async def mjedit_photo(context: BotContext, message: Message, photo: Message | None = None) -> None:
    """/mjedit <prompt> as a photo's caption (or as a reply to a photo): `/mj/submit/edits`."""
    who = sender_of(message)
    if who is None:
        return
    user_id, lang, chat = who
    prompt = command_argument(message)
    source = photo or message
    if not prompt or image_file(source) is None:
        await message.reply_text(t(lang, "mj.mjedit_usage"))
        return
    images = await photo_data_urls(context, [source], lang)
    if images is None:
        return
    outcome = await context.services.mj.edits(chat, user_id, lang, prompt, images[0], message.message_id)
    await show_outcome(context, message, lang, outcome)


async def swap_faces(context: BotContext, message: Message, face: Message, target: Message) -> None:
    """The face in `face` onto the person in `target`: `/mj/insight-face/swap`."""
    who = sender_of(message)
    if who is None:
        return
    user_id, lang, chat = who
    images = await photo_data_urls(context, [face, target], lang)
    if images is None:
        return
    outcome = await context.services.mj.swap_face(chat, user_id, lang, images[0], images[1], message.message_id)
    await show_outcome(context, message, lang, outcome)


async def faceswap_photo(context: BotContext, message: Message) -> None:
    """A face photo captioned /faceswap, replying to the target photo."""
    target = message.reply_to_message
    if target is None or image_file(target) is None:
        user = message.from_user
        await message.reply_text(t(pick_language(user.language_code if user else None), "mj.faceswap_usage"))
        return
    await swap_faces(context, message, message, target)


async def faceswap_album(context: BotContext, parts: list[Message]) -> None:
    """An album of two photos captioned /faceswap: the face first, then the target."""
    captioned = captioned_part(parts)
    photos = [m for m in parts if image_file(m) is not None]
    if len(photos) != 2:
        user = captioned.from_user
        await captioned.reply_text(t(pick_language(user.language_code if user else None), "mj.faceswap_usage"))
        return
    await swap_faces(context, captioned, photos[0], photos[1])


async def faceswap_command(update: Update, context: BotContext) -> None:
    """/faceswap as text: it belongs in the caption of photos."""
    if update.effective_message is not None:
        await update.effective_message.reply_text(t(language(update, context), "mj.faceswap_usage"))


async def mjedit_command(update: Update, context: BotContext) -> None:
    """/mjedit <prompt> as text: edits the photo it replies to, else explains."""
    message = update.effective_message
    if message is None:
        return
    replied = message.reply_to_message
    if replied is not None and image_file(replied) is not None:
        await mjedit_photo(context, message, replied)
        return
    await message.reply_text(t(language(update, context), "mj.mjedit_usage"))
