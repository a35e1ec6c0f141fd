"""Midjourney tasks and their buttons. A restart resumes every unfinished row.

Since migration 15 a task is a row of the task engine's `tasks` (kind `midjourney`, storage/tasks.py); what
only Midjourney has (action, prompts, image and video URLs, whether the progress message is a photo, the
prompt question's message) is in its payload. `MjTaskRow` is Midjourney's view of such a row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .db import Database
from .models import ChatKey
from .tasks import TaskRepository, TaskRow, TaskState

MjStatus = TaskState  # Midjourney's states are the engine's (MODAL: waits for the user's prompt)
KIND = "midjourney"  # the task engine's kind for Midjourney rows


@dataclass(frozen=True, slots=True)
class MjTaskRow:
    id: int
    task_id: str | None
    chat: ChatKey
    user_id: int
    lang: str
    action: str
    parent_id: int | None
    status: MjStatus
    progress: int
    prompt: str
    final_prompt: str
    fail_reason: str
    image_url: str
    reply_to: int | None
    progress_message_id: int | None
    progress_is_photo: bool
    modal_message_id: int | None
    result_message_id: int | None
    created_at: float
    shown_at: float
    delivery_attempts: int = 0
    video_url: str = ""  # MJ video tasks: the result is this video, not image_url


@dataclass(frozen=True, slots=True)
class MjButtonRow:
    id: int
    task_row: int
    custom_id: str
    label: str
    emoji: str
    position: int


def mj_task(task: TaskRow) -> MjTaskRow:
    """Midjourney's view of a task engine row: its own fields are in the payload."""
    payload = task.payload
    return MjTaskRow(
        id=task.id,
        task_id=task.gateway_id,
        chat=task.chat,
        user_id=task.user_id,
        lang=task.lang,
        action=str(payload.get("action") or ""),
        parent_id=task.parent_id,
        status=task.state,
        progress=task.progress,
        prompt=str(payload.get("prompt") or ""),
        final_prompt=str(payload.get("final_prompt") or ""),
        fail_reason=task.fail_reason,
        image_url=str(payload.get("image_url") or ""),
        reply_to=task.reply_to,
        progress_message_id=task.progress_message_id,
        progress_is_photo=bool(payload.get("progress_is_photo")),
        modal_message_id=_int_or_none(payload.get("modal_message_id")),
        result_message_id=task.result_message_id,
        created_at=task.created_at,
        shown_at=task.shown_at,
        delivery_attempts=task.attempts,
        video_url=str(payload.get("video_url") or ""),
    )


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float | str) and str(value).lstrip("-").isdigit() else None


def _button(row: Any) -> MjButtonRow:
    return MjButtonRow(
        row["id"],
        row["task_row"],
        row["custom_id"],
        row["label"],
        row["emoji"],
        row["position"],
    )


# MjTaskRow's names for the engine's columns; every other field lives in the payload
_COLUMNS = {
    "task_id": "gateway_id",
    "status": "state",
    "delivery_attempts": "attempts",
    "progress": "progress",
    "fail_reason": "fail_reason",
    "progress_message_id": "progress_message_id",
    "result_message_id": "result_message_id",
    "shown_at": "shown_at",
}
_PAYLOAD = {"final_prompt", "image_url", "video_url", "progress_is_photo", "modal_message_id", "prompt", "action"}


class MjTaskRepository:
    """Midjourney tasks as rows of the task engine's `tasks` (kind `midjourney`), and their buttons."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.tasks = TaskRepository(db)

    async def create(
        self,
        chat: ChatKey,
        user_id: int,
        lang: str,
        action: str,
        prompt: str,
        *,
        parent_id: int | None = None,
        reply_to: int | None = None,
    ) -> int:
        return await self.tasks.create(
            KIND, chat, user_id, lang, new_payload(action, prompt), reply_to=reply_to, parent_id=parent_id
        )

    async def get(self, row_id: int) -> MjTaskRow | None:
        task = await self.tasks.get(row_id)
        return mj_task(task) if task is not None and task.kind == KIND else None

    async def by_result_message(self, chat_id: int, message_id: int) -> MjTaskRow | None:
        task = await self.tasks.by_result_message(KIND, chat_id, message_id)
        return mj_task(task) if task is not None else None

    async def by_modal_message(self, chat_id: int, message_id: int) -> MjTaskRow | None:
        waiting = [mj_task(task) for task in await self.tasks.in_chat(KIND, chat_id, MjStatus.MODAL)]
        return next((task for task in waiting if task.modal_message_id == message_id), None)

    async def with_status(self, *statuses: MjStatus) -> list[MjTaskRow]:
        return [mj_task(task) for task in await self.tasks.with_state(KIND, *statuses)]

    async def count_by_status(self) -> dict[MjStatus, int]:
        """How many tasks are in each state (every state, 0 included), from the state index alone."""
        return await self.tasks.count_by_state(KIND)

    async def update(self, row_id: int, **fields: Any) -> None:
        if not fields or not set(fields) <= set(_COLUMNS) | _PAYLOAD:  # column names go into the SQL text
            raise ValueError(f"cannot update {sorted(fields)}")
        columns = {_COLUMNS[name]: value for name, value in fields.items() if name in _COLUMNS}
        merge = {name: value for name, value in fields.items() if name in _PAYLOAD}
        await self.tasks.update(row_id, merge=merge or None, **columns)

    async def claim(self, row_id: int, from_statuses: tuple[MjStatus, ...], to_status: MjStatus) -> bool:
        """Move a task on only if it is still in one of `from_statuses` (one winner among racing callers)."""
        return await self.tasks.claim(row_id, from_statuses, to_status)

    # ------------------------------------------------------------------ buttons

    async def set_buttons(self, row_id: int, buttons: list[tuple[str, str, str]]) -> list[MjButtonRow]:
        """Store (custom_id, label, emoji) in order; returns them with their short ids."""
        async with self._db.transaction() as conn:
            for position, (custom_id, label, emoji) in enumerate(buttons):
                await conn.execute(
                    "INSERT OR IGNORE INTO mj_buttons (task_row, custom_id, label, emoji, position) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (row_id, custom_id, label, emoji, position),
                )
        return await self.buttons(row_id)

    async def buttons(self, row_id: int) -> list[MjButtonRow]:
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT * FROM mj_buttons WHERE task_row = ? ORDER BY position", (row_id,)
            ) as cursor:
                rows = await cursor.fetchall()
        return [_button(row) for row in rows]

    async def button(self, button_id: int) -> MjButtonRow | None:
        async with self._db.read() as conn:
            async with conn.execute("SELECT * FROM mj_buttons WHERE id = ?", (button_id,)) as cursor:
                row = await cursor.fetchone()
        return _button(row) if row else None

    async def claim_button(self, button_id: int) -> bool:
        """True for the first press only: a double tap must not start two paid actions."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE mj_buttons SET pressed_at = ? WHERE id = ? AND pressed_at IS NULL", (time.time(), button_id)
            )
            return cursor.rowcount == 1

    async def release_button(self, button_id: int) -> None:
        """The action could not be submitted: the button may be pressed again."""
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE mj_buttons SET pressed_at = NULL WHERE id = ?", (button_id,))


def new_payload(action: str, prompt: str) -> dict[str, Any]:
    """A new Midjourney row's payload: what the gateway's answers fill in later starts empty."""
    return {
        "action": action,
        "prompt": prompt,
        "final_prompt": "",
        "image_url": "",
        "video_url": "",
        "progress_is_photo": 0,
        "modal_message_id": None,
    }
