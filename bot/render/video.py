"""Videos on Telegram: the progress message (a bar, edited), the video with its 🔁 button, failures."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest

from bot.core.errors import ErrorKind
from bot.core.tasks.events import TaskFailed, TaskFinished, TaskRefused
from bot.core.video.service import FIRST_LAST_UNSUPPORTED, NOT_YOURS, UNKNOWN_TASK
from bot.i18n import t
from storage.tasks import TaskRow

from . import callback_data
from .errors import error_text
from .keyboards import button
from .media import delete_quietly, send_video_or_file
from .mj import CAPTION_LIMIT, bar
from .telegram_io import Placement, clip, is_not_modified

log = logging.getLogger(__name__)



def video_progress_text(task: TaskRow, percent: int | None) -> str:
    prompt = clip(str(task.payload.get("prompt", "")), 300)
    value = task.progress if percent is None else percent
    if value == 0 and task.state.value in ("submitting", "submitted"):
        return t(task.lang, "video.queued", prompt=prompt)
    return t(task.lang, "video.progress", prompt=prompt, bar=bar(value), percent=f"{value}%")


def again_keyboard(task: TaskRow) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(t(task.lang, "video.again"), callback_data.video_again(task.id))]])


def video_refusal_text(lang: str, refused: TaskRefused, model: str = "") -> str:
    """A submit or 🔁 that did nothing, in the user's language, with what to do next."""
    if refused.kind == FIRST_LAST_UNSUPPORTED:
        return t(lang, "video.first_last_unsupported", model=refused.message or model)
    if refused.kind == NOT_YOURS:
        return t(lang, "video.not_yours")
    if refused.kind == UNKNOWN_TASK:
        return t(lang, "video.unknown")
    if refused.kind == ErrorKind.MODEL_UNAVAILABLE:
        return t(lang, "video.model_unavailable", model=model or "?")
    if refused.kind in (ErrorKind.BAD_REQUEST, ErrorKind.UPSTREAM, ErrorKind.BANNED) and refused.message:
        text = t(lang, "video.refused", reason=clip(refused.message, 300))
        if refused.request_id:
            text += "\n" + t(lang, "error.request_id", request_id=refused.request_id)
        return text
    kind = refused.kind if isinstance(refused.kind, ErrorKind) else ErrorKind.UPSTREAM
    return error_text(lang, kind, refused.message, model=model, request_id=refused.request_id)


def video_failure_text(failed: TaskFailed, timeout_minutes: int) -> str:
    lang = failed.task.lang
    if failed.timed_out:
        return t(lang, "video.timeout", minutes=timeout_minutes)
    if failed.fate_unknown:
        return t(lang, "video.fate_unknown")
    if failed.undeliverable:
        return t(lang, "video.undeliverable", reason=clip(failed.reason or "?", 300))
    return t(lang, "video.failed", reason=clip(failed.reason or "?", 300))


class VideoRenderer:
    """Talks to Telegram for one bot; every method survives Telegram refusing an edit or a delete."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def _where(self, task: TaskRow) -> Placement:
        reply = ReplyParameters(task.reply_to, allow_sending_without_reply=True) if task.reply_to else None
        thread = task.chat.thread_id or None
        return Placement(chat_id=task.chat.chat_id, message_thread_id=thread, reply_parameters=reply)

    async def send_progress(self, task: TaskRow) -> int:
        message = await self.bot.send_message(text=video_progress_text(task, None), **self._where(task))
        return message.message_id

    async def update_progress(self, task: TaskRow, percent: int) -> None:
        if task.progress_message_id is None:
            return
        try:
            await self.bot.edit_message_text(
                video_progress_text(task, percent), chat_id=task.chat.chat_id, message_id=task.progress_message_id
            )
        except BadRequest as error:
            if not is_not_modified(error):
                log.info("video progress edit refused: %s", error.message)

    async def delete(self, chat_id: int, message_id: int | None) -> None:
        await delete_quietly(self.bot, chat_id, message_id)

    async def send_result(self, finished: TaskFinished) -> int:
        """The video (uploaded as bytes; a document past 50 MB) with the prompt and 🔁. The caller records it,
        then removes the progress message (a crash in between leaves a stale progress, never a resend)."""
        task = finished.task
        caption = clip(f"🎬 {task.payload.get('prompt', '')}", CAPTION_LIMIT)
        name = f"video-{task.id}.{_extension(finished.content_type)}"
        sent = await send_video_or_file(
            self.bot, finished.data, name, caption=caption, where=self._where(task), reply_markup=again_keyboard(task)
        )
        return sent.message_id


def _extension(content_type: str) -> str:
    subtype = content_type.split("/")[-1].split(";")[0].strip().lower()
    return {"mp4": "mp4", "webm": "webm", "quicktime": "mov"}.get(subtype, "mp4")
