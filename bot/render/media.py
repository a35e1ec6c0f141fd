"""Photos, albums and voice notes sent by the bot; all uploaded as bytes."""

from __future__ import annotations

import logging
from io import BytesIO

from telegram import InputMediaPhoto
from telegram.error import BadRequest

from .telegram_io import TelegramText

log = logging.getLogger(__name__)

PHOTO_LIMIT = 10_000_000  # larger images go out as documents
ALBUM_LIMIT = 10


def sniff_image_mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"GIF8"):
        return "image/gif"
    return "image/jpeg"


def _filename(data: bytes, index: int) -> str:
    return f"image-{index + 1}.{sniff_image_mime(data).split('/')[1].replace('jpeg', 'jpg')}"


async def send_images(io: TelegramText, images: tuple[bytes, ...] | list[bytes], caption: str | None = None) -> None:
    """One photo, or albums of up to ten; an image Telegram refuses as a photo goes as a file."""
    photos = [image for image in images if len(image) <= PHOTO_LIMIT]
    files = [image for image in images if len(image) > PHOTO_LIMIT]
    where = {"chat_id": io.target.chat_id, "message_thread_id": io.target.thread_id}
    for start in range(0, len(photos), ALBUM_LIMIT):
        batch = photos[start : start + ALBUM_LIMIT]
        text = caption if start == 0 else None
        try:
            if len(batch) == 1:
                await io.bot.send_photo(photo=BytesIO(batch[0]), caption=text, **where)  # type: ignore[arg-type]
            else:
                media = [
                    InputMediaPhoto(BytesIO(image), caption=text if i == 0 else None) for i, image in enumerate(batch)
                ]
                await io.bot.send_media_group(media=media, **where)  # type: ignore[arg-type]
        except BadRequest as error:
            log.info("images refused as photos (%s); sending them as files", error.message)
            files.extend(batch)
    for index, image in enumerate(files):
        await io.bot.send_document(
            document=BytesIO(image),
            filename=_filename(image, index),
            caption=caption,
            **where,  # type: ignore[arg-type]
        )


async def send_voice(io: TelegramText, audio: bytes) -> None:
    """Ogg/Opus bytes as a voice note."""
    await io.bot.send_voice(
        io.target.chat_id, voice=BytesIO(audio), filename="reply.ogg", message_thread_id=io.target.thread_id
    )
