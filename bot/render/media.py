"""Photos, albums and voice notes sent by the bot; all uploaded as bytes."""

from __future__ import annotations

import logging
from io import BytesIO

from telegram import Bot, InlineKeyboardMarkup, InputMediaPhoto, Message
from telegram.error import BadRequest, TelegramError

from bot.core.images import sniff_image_mime
from bot.core.sizes import PHOTO_LIMIT, VIDEO_LIMIT

from .telegram_io import Placement, TelegramText

log = logging.getLogger(__name__)

ALBUM_LIMIT = 10


def _filename(data: bytes, index: int) -> str:
    return f"image-{index + 1}.{sniff_image_mime(data).split('/')[1].replace('jpeg', 'jpg')}"


async def send_images(io: TelegramText, images: tuple[bytes, ...] | list[bytes], caption: str | None = None) -> None:
    """One photo, or albums of up to ten; an image Telegram refuses as a photo goes as a file."""
    photos = [image for image in images if len(image) <= PHOTO_LIMIT]
    files = [image for image in images if len(image) > PHOTO_LIMIT]
    where = Placement(chat_id=io.target.chat_id, message_thread_id=io.target.thread_id)
    for start in range(0, len(photos), ALBUM_LIMIT):
        batch = photos[start : start + ALBUM_LIMIT]
        text = caption if start == 0 else None
        if len(batch) == 1:
            await send_photo_or_file(io.bot, batch[0], _filename(batch[0], len(files)), caption=text, where=where)
            continue
        try:
            media = [InputMediaPhoto(BytesIO(image), caption=text if i == 0 else None) for i, image in enumerate(batch)]
            await io.bot.send_media_group(media=media, **where)
        except BadRequest as error:
            log.info("images refused as photos (%s); sending them as files", error.message)
            files.extend(batch)
    for index, image in enumerate(files):
        await send_photo_or_file(io.bot, image, _filename(image, index), caption=caption, where=where, as_file=True)


async def send_photo_or_file(
    bot: Bot,
    image: bytes,
    filename: str,
    *,
    caption: str | None,
    where: Placement,
    reply_markup: InlineKeyboardMarkup | None = None,
    as_file: bool = False,
) -> Message:
    """The image as a photo; as a document when it is too large for one or Telegram refuses it as a photo."""
    if not as_file and len(image) <= PHOTO_LIMIT:
        try:
            return await bot.send_photo(photo=BytesIO(image), caption=caption, reply_markup=reply_markup, **where)
        except BadRequest as error:  # dimensions or format Telegram will not show as a photo
            log.info("image refused as a photo (%s); sending it as a file", error.message)
    return await bot.send_document(
        document=BytesIO(image), filename=filename, caption=caption, reply_markup=reply_markup, **where
    )


async def send_video_or_file(
    bot: Bot,
    video: bytes,
    filename: str,
    *,
    caption: str | None,
    where: Placement,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """The video as a streamable Telegram video; as a document when it is over sendVideo's limit."""
    if len(video) <= VIDEO_LIMIT:
        return await bot.send_video(
            video=BytesIO(video),
            filename=filename,
            caption=caption,
            supports_streaming=True,
            reply_markup=reply_markup,
            **where,
        )
    return await bot.send_document(
        document=BytesIO(video), filename=filename, caption=caption, reply_markup=reply_markup, **where
    )


async def send_voice(io: TelegramText, audio: bytes) -> None:
    """Ogg/Opus bytes as a voice note."""
    await io.bot.send_voice(
        io.target.chat_id, voice=BytesIO(audio), filename="reply.ogg", message_thread_id=io.target.thread_id
    )


async def delete_quietly(bot: Bot, chat_id: int, message_id: int | None) -> None:
    """Delete a message the bot no longer needs (a progress message); a refusal is only logged."""
    if message_id is None:
        return
    try:
        await bot.delete_message(chat_id, message_id)
    except TelegramError as error:
        log.info("could not delete message %s: %s", message_id, error)
