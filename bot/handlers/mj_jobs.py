"""The Midjourney poll: one JobQueue job for the whole process."""

from __future__ import annotations

import asyncio
import logging

from telegram.error import TelegramError

from bot.context import BotContext
from bot.core.mj.events import MjFailed, MjFinished, MjNeedsPrompt, MjPollEvent, MjProgress
from bot.render.mj import MjRenderer, mj_failure_text

from .imagine import ask_for_prompt
from .task_delivery import deliver_result

log = logging.getLogger(__name__)


async def poll_tick(context: BotContext) -> None:
    """Ask the gateway about every pending task at once, then show what changed.

    Each chat's events go in order, chats side by side: one chat waiting for its Telegram window
    (about a message a second) must not hold up every other chat's results."""
    svc = context.services
    renderer = MjRenderer(context.bot)
    by_chat: dict[int, list[MjPollEvent]] = {}
    for event in await svc.mj_poller.tick():
        by_chat.setdefault(event.task.chat.chat_id, []).append(event)
    await asyncio.gather(*(_show_chat_events(context, renderer, events) for events in by_chat.values()))


async def _show_chat_events(
    context: BotContext, renderer: MjRenderer, events: list[MjPollEvent]
) -> None:
    svc = context.services
    for event in events:
        try:
            if isinstance(event, MjProgress):
                new_id = await renderer.update_progress(event.task, event.percent, event.preview)
                if new_id is not None:  # recorded before the old one goes: a crash leaves no orphan result
                    await svc.mj.progress_message_sent(event.task, new_id, is_photo=True)
                    await renderer.delete(event.task.chat.chat_id, event.task.progress_message_id)
            elif isinstance(event, MjNeedsPrompt):
                await ask_for_prompt(context, event.task)
            elif isinstance(event, MjFinished):
                await deliver(renderer, context, event)
            elif isinstance(event, MjFailed):
                await renderer.delete(event.task.chat.chat_id, event.task.progress_message_id)
                timeout_minutes = max(1, round(svc.settings.mj_task_timeout / 60))
                await context.bot.send_message(
                    event.task.chat.chat_id,
                    mj_failure_text(event, timeout_minutes),
                    message_thread_id=event.task.chat.thread_id or None,
                )
        except TelegramError as error:  # one chat refusing must not stop the others' results
            log.warning("mj update for task %s not shown: %s", event.task.task_id, error)


async def deliver(renderer: MjRenderer, context: BotContext, event: MjFinished) -> None:
    await deliver_result(renderer, context.services.mj_poller, event, f"mj result of task {event.task.task_id}")
