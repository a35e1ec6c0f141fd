"""Midjourney on Telegram: progress messages, result photos with their buttons, failures."""

from __future__ import annotations

import logging
from io import BytesIO

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest, TelegramError

from bot.core.errors import ErrorKind
from bot.core.mj.events import MjFailed, MjFinished, MjRefused
from bot.core.mj.service import ALREADY_PRESSED, NOT_WAITING, NOT_YOURS, UNKNOWN_BUTTON, UNREADABLE_IMAGE
from bot.i18n import MESSAGES, t
from storage import MjButtonRow, MjTaskRow

from . import callback_data
from .keyboards import button
from .media import delete_quietly, send_photo_or_file, send_video_or_file
from .telegram_io import Placement, clip, is_not_modified

log = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
BUTTONS_PER_ROW = 5


def bar(percent: int | None, width: int = 10) -> str:
    filled = round((percent or 0) / 100 * width)
    return "▓" * filled + "░" * (width - filled)


def progress_text(task: MjTaskRow, percent: int | None) -> str:
    prompt = clip(task.final_prompt or task.prompt, 300)
    if percent is None and task.progress == 0:
        return t(task.lang, "mj.queued", prompt=prompt)
    value = percent if percent is not None else task.progress
    return t(task.lang, "mj.progress", prompt=prompt, bar=bar(value), percent=f"{value}%")


def button_label(row: MjButtonRow) -> str:
    return " ".join(part for part in (row.emoji, row.label) if part) or "•"


def result_keyboard(buttons: list[MjButtonRow]) -> InlineKeyboardMarkup | None:
    """The task's own buttons in Discord's rows of five; callback data is the short row id."""
    rows: list[list[InlineKeyboardButton]] = []
    for row in buttons:
        if not rows or len(rows[-1]) >= BUTTONS_PER_ROW:
            rows.append([])
        rows[-1].append(button(button_label(row), callback_data.mj(row.id)))
    return InlineKeyboardMarkup(rows) if rows else None


def describe_text(task: MjTaskRow, prompts: list[str]) -> str:
    numbered = "\n\n".join(f"{index + 1}. {prompt}" for index, prompt in enumerate(prompts))
    return clip(t(task.lang, "mj.describe_result", prompts=numbered), 4000)


def refusal_text(lang: str, refused: MjRefused) -> str:
    """A refused submit or press, in the user's language."""
    special = {
        UNKNOWN_BUTTON: "button.unknown",
        NOT_YOURS: "mj.not_yours",
        ALREADY_PRESSED: "mj.already_pressed",
        NOT_WAITING: "mj.not_waiting",
        UNREADABLE_IMAGE: "image.unreadable",
    }
    if refused.kind in special:
        return t(lang, special[refused.kind])
    if refused.kind == ErrorKind.BANNED:
        if refused.banned_word:
            return t(lang, "mj.banned", word=refused.banned_word)
        return t(lang, "mj.banned_unknown")
    if refused.kind == ErrorKind.QUEUE_FULL:
        return t(lang, "mj.queue_full")
    if refused.kind == ErrorKind.BAD_REQUEST:
        return t(lang, "mj.invalid", reason=clip(refused.message, 200))
    if refused.kind == ErrorKind.NOT_FOUND:
        return t(lang, "mj.not_found")
    if refused.kind == ErrorKind.UPSTREAM and refused.message:  # the proxy's own words (no account, …)
        return t(lang, "mj.failed", reason=clip(refused.message, 300))
    key = f"error.{refused.kind}"
    text = t(lang, key) if key in MESSAGES else refused.message
    if refused.request_id:
        text += "\n" + t(lang, "error.request_id", request_id=refused.request_id)
    return text


def mj_failure_text(failed: MjFailed, timeout_minutes: int) -> str:
    if failed.timed_out:
        return t(failed.task.lang, "mj.timeout", minutes=timeout_minutes)
    if failed.fate_unknown:
        return t(failed.task.lang, "mj.fate_unknown")
    if failed.undeliverable:
        return t(failed.task.lang, "mj.undeliverable", reason=clip(failed.reason or "?", 300))
    return t(failed.task.lang, "mj.failed", reason=clip(failed.reason or "?", 300))


class MjRenderer:
    """Talks to Telegram for one bot; every method survives Telegram refusing a message."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def _where(self, task: MjTaskRow) -> Placement:
        reply = ReplyParameters(task.reply_to, allow_sending_without_reply=True) if task.reply_to else None
        return Placement(
            chat_id=task.chat.chat_id, message_thread_id=task.chat.thread_id or None, reply_parameters=reply
        )

    async def send_progress(self, task: MjTaskRow) -> int:
        message = await self.bot.send_message(text=progress_text(task, None), **self._where(task))
        return message.message_id

    async def update_progress(self, task: MjTaskRow, percent: int | None, preview: bytes | None) -> int | None:
        """Edit the progress message; with a first preview a photo replaces it (its id is returned)."""
        text = clip(progress_text(task, percent), CAPTION_LIMIT)
        if preview is not None:
            try:
                sent = await self.bot.send_photo(
                    photo=BytesIO(preview),
                    caption=text,
                    **self._where(task),
                )
            except TelegramError as error:
                log.info("mj preview not shown: %s", error)
            else:
                return sent.message_id  # the caller records it, then deletes the old message
        if task.progress_message_id is None:
            return None
        try:
            if task.progress_is_photo:
                await self.bot.edit_message_caption(
                    chat_id=task.chat.chat_id, message_id=task.progress_message_id, caption=text
                )
            else:
                await self.bot.edit_message_text(text, chat_id=task.chat.chat_id, message_id=task.progress_message_id)
        except BadRequest as error:
            if not is_not_modified(error):
                log.info("mj progress edit refused: %s", error.message)
        return None

    async def delete(self, chat_id: int, message_id: int | None) -> None:
        await delete_quietly(self.bot, chat_id, message_id)

    async def send_result(self, finished: MjFinished) -> int:
        """The finished image (uploaded as bytes) with its buttons. The caller records it, then removes
        the progress message (in that order: a crash in between leaves a stale progress, never a resend)."""
        task = finished.task
        keyboard = result_keyboard(finished.buttons)
        if task.action == "DESCRIBE":
            message = await self.bot.send_message(
                text=describe_text(task, finished.describe_prompts),
                reply_markup=keyboard,
                **self._where(task),
            )
        elif finished.video is not None:
            return await self.send_video(task, finished.video, finished.content_type, keyboard)
        elif finished.image is None:
            message = await self.bot.send_message(
                text=t(task.lang, "mj.no_image"),
                reply_markup=keyboard,
                **self._where(task),
            )
        else:
            return await self.send_image(task, finished.image, finished.content_type, keyboard)
        return message.message_id

    async def send_image(
        self,
        task: MjTaskRow,
        image: bytes,
        content_type: str,
        keyboard: InlineKeyboardMarkup | None = None,
        *,
        as_file: bool = False,
    ) -> int:
        caption = clip(f"🎨 {task.final_prompt or task.prompt}", CAPTION_LIMIT)
        name = f"midjourney-{task.task_id}.{_extension(content_type)}"
        sent = await send_photo_or_file(
            self.bot, image, name, caption=caption, where=self._where(task), reply_markup=keyboard, as_file=as_file
        )
        return sent.message_id


    async def send_video(
        self, task: MjTaskRow, video: bytes, content_type: str, keyboard: InlineKeyboardMarkup | None
    ) -> int:
        """An MJ video task's result as a Telegram video (streamable), a document when over sendVideo's limit."""
        caption = clip(f"🎬 {task.final_prompt or task.prompt}", CAPTION_LIMIT)
        subtype = content_type.split("/")[-1].split(";")[0].strip().lower()
        name = f"midjourney-{task.task_id}.{'webm' if subtype == 'webm' else 'mp4'}"
        sent = await send_video_or_file(
            self.bot, video, name, caption=caption, where=self._where(task), reply_markup=keyboard
        )
        return sent.message_id


def _extension(content_type: str) -> str:
    subtype = content_type.split("/")[-1].split(";")[0].strip().lower()
    return {"jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif"}.get(subtype, "png")
