"""Midjourney as a kind of the task engine: submitted through a prepared call, polled in one batch per tick.

The engine (`bot/core/tasks/engine.py`) owns the life cycle; this module knows the gateway's side: the
submit (`state` = `tg:<chat>:<row>`), one `list-by-condition` call for every pending task, the buttons a
finished task gets, and its result's bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.wenwen import WenwenError
from bot.wenwen.mj import MidjourneyClient, MjSubmitStatus, MjSubmitted
from bot.wenwen.mj_types import MjTask
from storage import MjTaskRepository
from storage.mj import KIND, mj_task
from storage.tasks import TaskRow

from ..tasks.engine import Fetched, Remote, RemoteState, Submitted
from .buttons import DESCRIBE_PREFIX, FILE, SEED, is_upscale_result, parse_describe_prompts, usable
from .media import result_image, result_video

log = logging.getLogger("bot.mj")

# Upstream statuses (docs/protocols.md, "Gateway: Midjourney task objects"); "" means new-api has not polled it yet.
_RUNNING = {"IN_PROGRESS"}
_DONE = {"SUCCESS"}
_FAILED = {"FAILURE", "CANCEL"}
_NO_SEED = ("VIDEO", "SWAP_FACE")  # not Discord images: /mj/task/{id}/image-seed has nothing for them

MjSubmit = Callable[[str], Awaitable[MjSubmitted]]  # the prepared submit, given the `state` to send


def mj_model(action: str) -> str:
    """The name a Midjourney action is counted under (new-api's model names: mj_imagine, mj_upscale, …, swap_face)."""
    return "swap_face" if action == "SWAP_FACE" else f"mj_{action.lower()}"


class MjKind:
    name = KIND

    def __init__(self, client: MidjourneyClient, tasks: MjTaskRepository) -> None:
        self._client = client
        self._tasks = tasks

    def model_of(self, payload: dict[str, Any]) -> str:
        return mj_model(str(payload.get("action") or ""))

    async def submit(self, task: TaskRow, inputs: MjSubmit) -> Submitted:
        submitted = await inputs(f"tg:{task.chat.chat_id}:{task.id}")
        return Submitted(submitted.task_id, waiting=submitted.status == MjSubmitStatus.MODAL)

    async def poll(self, tasks: list[TaskRow]) -> dict[int, Remote]:
        """One list-by-condition call for all of them; a WenwenError is the engine's to log."""
        by_gateway_id = {task.gateway_id: task for task in tasks if task.gateway_id}
        remote = await self._client.list_by_ids(list(by_gateway_id))
        news: dict[int, Remote] = {}
        for upstream in _latest_per_task(remote):
            task = by_gateway_id.get(upstream.id)
            if task is not None:
                found = await self._news(task, upstream)
                if found is not None:
                    news[task.id] = found
        return news

    async def _news(self, task: TaskRow, upstream: MjTask) -> Remote | None:
        status = (upstream.status or "").upper()
        action = (upstream.action or str(task.payload.get("action") or "")).upper()
        if status in _DONE:
            image_url, video_url = upstream.imageUrl or "", upstream.video_url
            final_prompt = upstream.final_prompt or upstream.promptEn or str(task.payload.get("prompt") or "")
            # Stored before the row says SUCCEEDED (INSERT OR IGNORE: a crash in between stores them again).
            await self._store_buttons(task.id, upstream, action)
            payload = {"image_url": image_url, "video_url": video_url, "final_prompt": final_prompt, "action": action}
            return Remote(RemoteState.DONE, 100, video_url or image_url, payload=payload)
        if status in _FAILED:
            return Remote(RemoteState.FAILED, reason=upstream.failReason or status, payload={"action": action})
        if status == "MODAL":
            if task.payload.get("modal_message_id") is not None:
                return None  # the prompt was given; new-api may still show the old MODAL row (see below)
            return Remote(RemoteState.WAITING)
        state = RemoteState.RUNNING if status in _RUNNING else RemoteState.QUEUED
        return Remote(state, upstream.percent, payload={"image_url": upstream.imageUrl or "", "action": action})

    async def _store_buttons(self, row_id: int, upstream: MjTask, action: str) -> None:
        buttons = [(b.customId or "", b.label or "", b.emoji or "") for b in upstream.buttons or [] if usable(b)]
        if action == "DESCRIBE":
            prompts = parse_describe_prompts(upstream.final_prompt)
            buttons = [(f"{DESCRIBE_PREFIX}{i}", str(i + 1), "🎨") for i in range(len(prompts))]
        elif action not in _NO_SEED:
            buttons.append((SEED, "", "🌱"))
            if is_upscale_result(action):
                buttons.append((FILE, "", "📄"))
        await self._tasks.set_buttons(row_id, buttons)

    async def fetch(self, task: TaskRow) -> Fetched:
        """The video, or the image; empty when neither downloads: the result goes out without it (its buttons
        still work), never retried, as Midjourney always did."""
        row = mj_task(task)
        try:
            if row.video_url:
                return Fetched(*await result_video(self._client, row))
            if row.image_url:
                return Fetched(*await result_image(self._client, row))
        except WenwenError as error:
            log.warning("mj result of task %s could not be downloaded: %s", row.task_id, error)
        return Fetched(b"", "")


_STAGE = {"MODAL": 0, "": 1, "NOT_START": 1, "SUBMITTED": 2, "IN_PROGRESS": 3, "SUCCESS": 4, "FAILURE": 4, "CANCEL": 4}


def _latest_per_task(remote: list[MjTask]) -> list[MjTask]:
    """One entry per id, the furthest along.

    After /mj/submit/modal new-api inserts a second row with the same id; list-by-condition can
    return both, and the first one stays MODAL.
    """
    best: dict[str, MjTask] = {}
    for task in remote:
        current = best.get(task.id)
        if current is None or _STAGE.get((task.status or "").upper(), 1) >= _STAGE.get(
            (current.status or "").upper(), 1
        ):
            best[task.id] = task
    return list(best.values())
