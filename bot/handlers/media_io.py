"""Getting files from Telegram and spoken replies: the Telegram side of photos and voice."""

from __future__ import annotations

import gc
import logging

from telegram import Bot, Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot.context import BotContext
from bot.core.errors import WenwenError
from bot.core.images import CheckedImage, fit_for_model_async
from bot.core.limits import DailyLimitReached
from bot.core.mj.media import image_data_url
from bot.core.vision import ImageFetcher
from bot.render.errors import limit_text, speech_failure_text
from bot.render.media import send_voice
from bot.render.telegram_io import Target, TelegramText
from bot.wiring import Services
from storage import ChatKey

from .common import language, thread_id_of

log = logging.getLogger(__name__)

async def download(bot: Bot, file_id: str) -> bytes:
    return bytes(await (await bot.get_file(file_id)).download_as_bytearray())


def image_file(message: Message) -> tuple[str, int | None] | None:
    """(file id, size) of the largest photo size, or of an image sent as a file."""
    if message.photo:
        largest = message.photo[-1]
        return largest.file_id, largest.file_size
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return document.file_id, document.file_size
    return None


async def checked_image(bot: Bot, file_id: str) -> CheckedImage | None:
    """A photo or image file, checked and sized like every image the gateway gets.

    None when it is not a readable image (a HEIC, a broken file).
    """
    checked = await fit_for_model_async(await download(bot, file_id))
    gc.collect(0)  # see telegram_image_fetcher
    return checked


async def photo_data_url(bot: Bot, file_id: str) -> str | None:
    """A photo or image file as a data URL (`core/mj/media.image_data_url`); None when it is not a readable image."""
    data = await download(bot, file_id)
    gc.collect(0)  # see telegram_image_fetcher
    return await image_data_url(data)


def telegram_image_fetcher(bot: Bot) -> ImageFetcher:
    """Images are stored as file ids; this fetches their bytes when an answer is made."""

    async def fetch(file_id: str) -> bytes:
        data = await download(bot, file_id)
        # httpx's response objects form reference cycles that keep the whole body (up to 20 MB) alive
        # until the cycle collector runs; an album would hold all ten at once. Collect the young ones now.
        gc.collect(0)
        return data

    return fetch


async def chat_action(update: Update, context: BotContext, action: str) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None:
        return
    try:
        await context.bot.send_chat_action(chat.id, action, message_thread_id=thread_id_of(message) or None)
    except TelegramError as error:
        log.info("chat action not shown: %s", error)


async def speak_if_wanted(
    bot: Bot, svc: Services, chat: ChatKey, target: Target, answer: str, user_id: int, lang: str
) -> None:
    """The chat's spoken replies: the answer also arrives as a voice note."""
    if await svc.conversations.voice_replies(chat):
        await speak_to(bot, svc, target, answer, user_id, lang)


async def speak(update: Update, context: BotContext, text: str) -> bool:
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None or user is None:
        return False
    target = Target(chat.id, thread_id_of(message) or None)
    return await speak_to(context.bot, context.services, target, text, user.id, language(update, context))


async def speak_to(bot: Bot, svc: Services, target: Target, text: str, user_id: int, lang: str) -> bool:
    """Read `text` aloud as a voice note; when the voice cannot be made, the user is told why."""
    if not text.strip():
        return False
    io = TelegramText(bot, target)
    try:
        await bot.send_chat_action(target.chat_id, ChatAction.RECORD_VOICE, message_thread_id=target.thread_id)
    except TelegramError as error:
        log.info("chat action not shown: %s", error)
    try:
        audio = await svc.media.speak(text, user_id)
    except DailyLimitReached as error:
        await io.send(limit_text(lang, error.reached), [])
        return False
    except WenwenError as error:
        log.warning("speech failed: %s", error)
        await io.send(speech_failure_text(lang, error), [])
        return False
    await send_voice(io, audio)
    return True
