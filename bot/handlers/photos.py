"""Photos and image files: a vision turn, or /edit, /describe, /blend, /imagine, /mjedit, /faceswap by caption;
albums as one."""

from __future__ import annotations

import logging

from telegram import Message, Update

from bot.context import BotContext
from bot.core.conversation import UserTurn
from bot.core.sizes import TELEGRAM_DOWNLOAD_LIMIT
from bot.i18n import pick_language, t
from storage import ChatKey

from .addressing import addressed_text, quote_of
from .albums import collect, flush_all
from .chat import run_chat_turn
from .common import captioned_part, language, thread_id_of
from .image_commands import edit_photo
from .media_io import image_file
from .mj_photos import blend_album, caption_command, describe_photo
from .mj_uploads import faceswap_album, faceswap_photo, imagine_photos, mjedit_photo
from .video import video_photos
from .voice import on_voice, recording

log = logging.getLogger(__name__)
ALBUM_MAX = 10


async def on_photo(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or image_file(message) is None:
        return
    if message.media_group_id:
        collect(context, message, _album_ready)
        return
    command = caption_command(message)
    if command == "/describe":
        await describe_photo(context, message)
    elif command == "/blend":
        await message.reply_text(t(language(update, context), "mj.blend_usage"))
    elif command == "/edit":
        await edit_photo(update, context)
    elif command == "/video":
        await video_photos(context, [message])
    elif command == "/imagine":
        await imagine_photos(context, [message])
    elif command == "/mjedit":
        await mjedit_photo(context, message)
    elif command == "/faceswap":
        await faceswap_photo(context, message)
    else:
        await _vision_turn(update, context, [message])


async def answer_waiting_albums(context: BotContext) -> int:
    """At a stop: albums whose parts came but whose window has not closed are answered now (bot/app.py)."""
    return await flush_all(context, _album_ready)


async def _album_ready(context: BotContext, parts: list[Message]) -> None:
    captioned = captioned_part(parts)
    if caption_command(captioned) == "/blend":
        await blend_album(context, parts)
        return
    if caption_command(captioned) == "/video":
        await video_photos(context, parts)
        return
    if caption_command(captioned) == "/imagine":
        await imagine_photos(context, parts)
        return
    if caption_command(captioned) == "/faceswap":
        await faceswap_album(context, parts)
        return
    update = Update(update_id=0, message=captioned)  # the album answers as the captioned part
    await _vision_turn(update, context, parts[:ALBUM_MAX])


async def _vision_turn(update: Update, context: BotContext, parts: list[Message]) -> None:
    """The photos (by file id; fetched, checked and sized when the answer is made) and the caption as one turn."""
    message = captioned_part(parts)
    user = message.from_user
    if user is None:
        return
    caption = addressed_text(message, context.bot.username, context.bot.id)
    if caption is None:
        return  # a group photo not meant for the bot
    lang = pick_language(user.language_code)
    file_ids: list[str] = []
    for part in parts:
        found = image_file(part)
        if found is None:
            continue
        file_id, size = found
        if size and size > TELEGRAM_DOWNLOAD_LIMIT:
            await message.reply_text(t(lang, "file.too_big"))
            return
        file_ids.append(file_id)
    text = caption.strip() or t(lang, "vision.default_prompt")
    chat = ChatKey(message.chat_id, thread_id_of(message))
    await run_chat_turn(
        update,
        context,
        UserTurn(chat, user.id, text, message.message_id, quote_of(message), tuple(file_ids), lang=lang),
    )


async def on_other_file(update: Update, context: BotContext) -> None:
    """Documents that are not images: say what the bot can read (in groups only when addressed)."""
    message = update.effective_message
    if message is None or addressed_text(message, context.bot.username, context.bot.id) is None:
        return
    if recording(message) is not None:
        await on_voice(update, context)
        return
    if message.media_group_id:  # an album of files gets one answer, not one per file
        key = (message.chat_id, hash(message.media_group_id))
        albums = context.services.albums_answered
        if albums.get(key):
            return
        albums.put(key, True)
    await message.reply_text(t(language(update, context), "file.unsupported"))
