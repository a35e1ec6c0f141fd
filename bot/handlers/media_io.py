"""Getting files from Telegram and spoken replies: the Telegram side of photos and voice."""

from __future__ import annotations

import gc
import logging

from telegram import Bot, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.core.vision import ImageFetcher
from bot.render.media import send_voice
from bot.render.telegram_io import Target, TelegramText
from bot.wenwen import WenwenError

from .common import chat_key, services, thread_id_of

log = logging.getLogger(__name__)

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bots cannot download larger files (Bot API getFile)


async def download(bot: Bot, file_id: str) -> bytes:
    return bytes(await (await bot.get_file(file_id)).download_as_bytearray())


def telegram_image_fetcher(bot: Bot) -> ImageFetcher:
    """Images are stored as file ids; this fetches their bytes when an answer is made."""

    async def fetch(file_id: str) -> bytes:
        data = await download(bot, file_id)
        # httpx's response objects form reference cycles that keep the whole body (up to 20 MB) alive
        # until the cycle collector runs; an album would hold all ten at once. Collect the young ones now.
        gc.collect(0)
        return data

    return fetch


async def chat_action(update: Update, context: ContextTypes.DEFAULT_TYPE, action: str) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None:
        return
    try:
        await context.bot.send_chat_action(chat.id, action, message_thread_id=thread_id_of(message) or None)
    except TelegramError as error:
        log.info("chat action not shown: %s", error)


async def speak_if_wanted(update: Update, context: ContextTypes.DEFAULT_TYPE, answer: str) -> None:
    """The chat's spoken replies: the answer also arrives as a voice note."""
    svc = services(context)
    chat = update.effective_chat
    if chat is None or not await svc.conversations.voice_replies(chat_key(update)):
        return
    await speak(update, context, answer)


async def speak(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or not text.strip():
        return False
    await chat_action(update, context, ChatAction.RECORD_VOICE)
    try:
        audio = await services(context).media.speak(text)
    except WenwenError as error:
        log.warning("speech failed: %s", error)
        return False
    io = TelegramText(context.bot, Target(chat.id, thread_id_of(message) or None))
    await send_voice(io, audio)
    return True
