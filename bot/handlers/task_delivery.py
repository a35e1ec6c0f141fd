"""Delivering a finished long-running task's result (Midjourney, video): sent once, or the failure counted."""

from __future__ import annotations

import logging
from typing import Any, Protocol, TypeVar

from telegram.error import Forbidden, TelegramError

log = logging.getLogger(__name__)

Finished = TypeVar("Finished", contravariant=True)
Task = TypeVar("Task", contravariant=True)


class ResultRenderer(Protocol[Finished]):
    async def send_result(self, finished: Finished) -> int: ...

    async def delete(self, chat_id: int, message_id: int | None) -> None: ...


class DeliveryTracker(Protocol[Task]):
    async def delivered(self, task: Task, message_id: int | None) -> None: ...

    async def delivery_failed(self, task: Task, *, give_up: bool, reason: str = "") -> None: ...


async def deliver_result(
    renderer: ResultRenderer[Any], tracker: DeliveryTracker[Any], event: Any, what: str
) -> None:
    """Send `event`'s result, record it, then remove the progress message; a refusal is counted (a user who
    blocked the bot can never get it: given up at once). `what` names the task in the log."""
    task = event.task
    try:
        message_id = await renderer.send_result(event)
    except Forbidden as error:
        log.info("%s cannot be delivered: %s", what, error)
        await tracker.delivery_failed(task, give_up=True)
        return
    except TelegramError as error:
        await tracker.delivery_failed(task, give_up=False, reason=str(error))
        raise
    await tracker.delivered(task, message_id)
    await renderer.delete(task.chat.chat_id, task.progress_message_id)
