"""Voice notes, audio files and round video notes: transcribe, show the transcript, answer it."""

from __future__ import annotations

import logging

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatAction

from bot.context import BotContext
from bot.core.conversation import UserTurn
from bot.core.errors import WenwenError
from bot.core.limits import DailyLimitReached
from bot.core.media import transcription_filename
from bot.core.sizes import TELEGRAM_DOWNLOAD_LIMIT, TRANSCRIBE_LIMIT
from bot.i18n import t
from bot.render.errors import limit_text, transcription_failure_text

from .addressing import addressed_text
from .chat import run_chat_turn
from .common import chat_key, language
from .media_io import chat_action, download

log = logging.getLogger(__name__)
EXPAND_AFTER = 300  # longer transcripts are shown folded


def recording(message: Message) -> tuple[str, str, int | None, str | None, str | None] | None:
    """(kind, file id, size, file name, mime type) of a voice note, audio file or video note."""
    if message.voice:
        return "voice", message.voice.file_id, message.voice.file_size, None, message.voice.mime_type
    if message.audio:
        audio = message.audio
        return "audio", audio.file_id, audio.file_size, audio.file_name, audio.mime_type
    if message.video_note:
        return "video_note", message.video_note.file_id, message.video_note.file_size, None, "video/mp4"
    document = message.document
    if document is not None and (document.mime_type or "").startswith("audio/"):  # a recording sent as a file
        return "audio", document.file_id, document.file_size, document.file_name, document.mime_type
    return None


async def on_voice(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    found = recording(message) if message else None
    if message is None or user is None or found is None:
        return
    if addressed_text(message, context.bot.username, context.bot.id) is None:
        return  # in groups: only recordings that reply to the bot or mention it
    lang = language(update, context)
    kind, file_id, size, file_name, mime_type = found
    if size and size > TELEGRAM_DOWNLOAD_LIMIT:
        await message.reply_text(t(lang, "file.too_big"))
        return
    if size and size > TRANSCRIBE_LIMIT:
        await message.reply_text(t(lang, "voice.too_big"))
        return
    await chat_action(update, context, ChatAction.TYPING)
    audio = await download(context.bot, file_id)
    try:
        name = transcription_filename(kind, file_name, mime_type)
        transcript = await context.services.media.transcribe(audio, name, user.id)
    except DailyLimitReached as error:
        await message.reply_text(limit_text(lang, error.reached), do_quote=True)
        return
    except WenwenError as error:
        log.info("transcription failed: %s", error)
        await message.reply_text(transcription_failure_text(lang, error), do_quote=True)
        return
    if not transcript:
        await message.reply_text(t(lang, "voice.empty"), do_quote=True)
        return
    await show_transcript(message, lang, transcript)
    turn = UserTurn(chat_key(update), user.id, transcript, message.message_id, lang=lang)
    await run_chat_turn(update, context, turn)


async def show_transcript(message: Message, lang: str, transcript: str) -> None:
    """The transcript as a quote under the recording; folded when long."""
    prefix = t(lang, "voice.transcript")
    text = (prefix + transcript)[:4096]
    offset = len(prefix.encode("utf-16-le")) // 2
    length = len(text.encode("utf-16-le")) // 2 - offset
    kind = MessageEntity.EXPANDABLE_BLOCKQUOTE if len(transcript) > EXPAND_AFTER else MessageEntity.BLOCKQUOTE
    await message.reply_text(text, entities=[MessageEntity(kind, offset, length)], do_quote=True)
