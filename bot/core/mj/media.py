"""A finished Midjourney task's image or video, fetched for delivery; images made fit to send on as input."""

from __future__ import annotations

import base64
import logging

from bot.wenwen import WenwenError
from bot.wenwen.mj import MidjourneyClient
from storage import MjTaskRow

from ..images import fit_for_model_async

log = logging.getLogger("bot.mj")

RESULT_LIMIT = 50_000_000  # bytes of one result image or video (Telegram's upload limit for bots)


async def result_image(
    client: MidjourneyClient, task: MjTaskRow, *, max_bytes: int = RESULT_LIMIT
) -> tuple[bytes, str]:
    """The task's image; when its `imageUrl` no longer downloads (an expired CDN link), the gateway's own copy
    (`GET /mj/image/{id}`). Raises the first error when both fail."""
    try:
        return await client.download_image(task.image_url, max_bytes=max_bytes)
    except WenwenError as error:
        fallback = client.image_link(task.task_id) if task.task_id else ""
        if not fallback or fallback == task.image_url.split("?")[0]:
            raise
        log.info("mj image of task %s not at its link (%s); asking /mj/image", task.task_id, error)
        try:
            return await client.download_image(fallback, max_bytes=max_bytes)
        except WenwenError:
            raise error from None


async def result_video(client: MidjourneyClient, task: MjTaskRow) -> tuple[bytes, str]:
    return await client.download_image(task.video_url, max_bytes=RESULT_LIMIT)


async def image_data_url(data: bytes) -> str | None:
    """Image bytes checked and sized like every image the gateway gets (`core/images.py`), as a data URL."""
    checked = await fit_for_model_async(data)
    if checked is None:
        return None
    return f"data:{checked.mime};base64,{base64.b64encode(checked.data).decode()}"
