"""/video: text to video, a captioned photo (image to video), an album of two (first and last frame), 🔁, the poll."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, Message, Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.core.errors import WenwenError
from bot.core.images import sniff_image_mime
from bot.core.sizes import TELEGRAM_DOWNLOAD_LIMIT
from bot.core.tasks.events import (
    TaskEvent,
    TaskFailed,
    TaskFinished,
    TaskLimited,
    TaskOutcome,
    TaskProgress,
    TaskRefused,
    TaskStarted,
)
from bot.core.video.options import BadVideoOption, VideoOptions, parse_options
from bot.core.video.service import NOT_YOURS, VideoImage, options_of
from bot.i18n import t
from bot.render import callback_data
from bot.render.errors import limit_text
from bot.render.video import VideoRenderer, video_failure_text, video_refusal_text
from storage import ChatKey

from .common import captioned_part, command_argument, language, sender_of, thread_id_of
from .media_io import download, image_file
from .task_delivery import deliver_result

log = logging.getLogger(__name__)


async def video_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    lang = language(update, context)
    argument = command_argument(message)
    if not argument:
        await message.reply_text(await _usage(context, lang))
        return
    options = await _options(message, lang, argument)
    if options is not None:
        await _start(context, message, lang, options, ())


async def video_photos(context: BotContext, parts: list[Message]) -> None:
    """A photo captioned /video (image to video), or an album of two (first and last frame)."""
    captioned = captioned_part(parts)
    who = sender_of(captioned)
    if who is None:
        return
    lang = who.lang
    photos = [found for m in parts if (found := image_file(m)) is not None]
    if not 1 <= len(photos) <= 2:
        await captioned.reply_text(t(lang, "video.album_size"))
        return
    if any(size and size > TELEGRAM_DOWNLOAD_LIMIT for _, size in photos):
        await captioned.reply_text(t(lang, "video.photo_too_big"))
        return
    options = await _options(captioned, lang, command_argument(captioned))
    if options is not None:
        await _start(context, captioned, lang, options, tuple(file_id for file_id, _ in photos))


async def _options(message: Message, lang: str, argument: str) -> VideoOptions | None:
    try:
        options = parse_options(argument)
    except BadVideoOption as bad:
        await message.reply_text(t(lang, f"video.bad_{bad.code}", value=bad.value[:50]))
        return None
    if not options.prompt:
        await message.reply_text(t(lang, "video.no_prompt"))
        return None
    return options


async def _usage(context: BotContext, lang: str) -> str:
    svc = context.services
    try:
        models = await svc.video.video_models()
        listed = ", ".join(models) if models else t(lang, "video.no_models")
    except WenwenError:
        listed = t(lang, "video.models_unavailable")
    return t(lang, "video.usage", model=svc.video.default_model, models=listed)


async def _images(bot: Bot, file_ids: tuple[str, ...]) -> tuple[VideoImage, ...]:
    images = [await download(bot, file_id) for file_id in file_ids]
    return tuple(VideoImage(data, sniff_image_mime(data)) for data in images)


async def _start(
    context: BotContext,
    message: Message,
    lang: str,
    options: VideoOptions,
    file_ids: tuple[str, ...],
    *,
    user_id: int | None = None,
) -> None:
    svc = context.services
    user = user_id if user_id is not None else (message.from_user.id if message.from_user else 0)
    chat = ChatKey(message.chat_id, thread_id_of(message))
    images = await _images(context.bot, file_ids)
    outcome = await svc.video.start(
        chat, user, lang, options, images, image_file_ids=file_ids, reply_to=message.message_id
    )
    await _show_outcome(context, message, lang, outcome, options.model or svc.video.default_model)


async def _show_outcome(
    context: BotContext, message: Message, lang: str, outcome: TaskOutcome, model: str
) -> None:
    if isinstance(outcome, TaskStarted):
        message_id = await VideoRenderer(context.bot).send_progress(outcome.task)
        await context.services.video.engine.progress_message_sent(outcome.task, message_id)
    elif isinstance(outcome, TaskLimited):
        await message.reply_text(limit_text(lang, outcome.reached), do_quote=True)
    elif isinstance(outcome, TaskRefused):  # (a video never waits for input: no TaskWaiting here)
        await message.reply_text(video_refusal_text(lang, outcome, model), do_quote=True)


async def again_button(update: Update, context: BotContext) -> None:
    """🔁 under a video: the same prompt, options and photos again (a new paid task)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or query.data is None:
        return
    lang = language(update, context)
    message = query.message if isinstance(query.message, Message) else None
    row_id = callback_data.parse_video(query.data)
    if row_id is None or message is None:
        await query.answer(t(lang, "button.unknown"))
        return
    svc = context.services
    found = await svc.video.for_again(row_id, user.id, svc.access.is_admin(user.id))
    if isinstance(found, TaskRefused):
        await query.answer(video_refusal_text(lang, found)[:200], show_alert=found.kind == NOT_YOURS)
        return
    await query.answer(t(lang, "video.again_started"))  # at once: queries expire in seconds
    file_ids = tuple(str(file_id) for file_id in found.payload.get("images", []))
    await _start(context, message, found.lang, options_of(found), file_ids, user_id=user.id)


async def video_tick(context: BotContext) -> None:
    """Poll every pending video, then show what changed: each chat's events in order, chats side by side."""
    svc = context.services
    renderer = VideoRenderer(context.bot)
    by_chat: dict[int, list[TaskEvent]] = {}
    for event in await svc.video.engine.tick():
        by_chat.setdefault(event.task.chat.chat_id, []).append(event)
    await asyncio.gather(*(_show_chat_events(context, renderer, events) for events in by_chat.values()))


async def _show_chat_events(
    context: BotContext, renderer: VideoRenderer, events: list[TaskEvent]
) -> None:
    engine = context.services.video.engine
    for event in events:
        try:
            if isinstance(event, TaskProgress):
                await renderer.update_progress(event.task, event.percent)
            elif isinstance(event, TaskFinished):
                await _deliver(renderer, context, event)
            elif isinstance(event, TaskFailed):
                await renderer.delete(event.task.chat.chat_id, event.task.progress_message_id)
                await context.bot.send_message(
                    event.task.chat.chat_id,
                    video_failure_text(event, max(1, round(engine.timeout / 60))),
                    message_thread_id=event.task.chat.thread_id or None,
                )
        except TelegramError as error:  # one chat refusing must not stop the others' results
            log.warning("video update for task %s not shown: %s", event.task.id, error)


async def _deliver(renderer: VideoRenderer, context: BotContext, event: TaskFinished) -> None:
    await deliver_result(renderer, context.services.video.engine, event, f"video of task {event.task.id}")
