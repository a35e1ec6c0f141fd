"""Albums: Telegram sends each photo of an album as its own update; gather them into one."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Message

from bot.context import BotContext

log = logging.getLogger(__name__)

# Album parts arrive within a second of each other; there is no "last part" marker.
ALBUM_WINDOW = 1.2

AlbumCallback = Callable[[BotContext, list[Message]], Awaitable[None]]


def collect(context: BotContext, message: Message, on_album: AlbumCallback) -> None:
    """Add one part of an album; `on_album` runs once, ALBUM_WINDOW after the last part arrived."""
    albums = context.bot_data.albums
    group_id = message.media_group_id or str(message.message_id)
    albums.setdefault(group_id, []).append(message)
    job_queue = context.job_queue
    assert job_queue is not None
    for job in job_queue.get_jobs_by_name(f"album:{group_id}"):
        job.schedule_removal()

    async def flush(job_context: BotContext) -> None:
        pending = albums.pop(group_id, None)
        if pending is not None:
            parts = sorted(pending, key=lambda m: m.message_id)
            await on_album(job_context, parts)

    job_queue.run_once(flush, ALBUM_WINDOW, name=f"album:{group_id}")


async def flush_all(context: BotContext, on_album: AlbumCallback) -> int:
    """A stop: the albums still waiting for more parts go to `on_album` now; how many did.

    Their timers die with the job queue, and their updates are confirmed (Telegram will not send them
    again): dropped here, they would never be answered. Called before the answers' grace period, so the
    turns they start get it too (or are answered by the next start's recovery).
    """
    albums = context.bot_data.albums
    flushed = 0
    for group_id in list(albums):
        pending = albums.pop(group_id, None)
        if not pending:
            continue
        try:
            await on_album(context, sorted(pending, key=lambda m: m.message_id))
        except Exception:  # one album's failure (Telegram refusing a reply, say) must not drop the others
            log.exception("an album waiting at the stop could not be handled")
        flushed += 1
    return flushed
