"""Midjourney tasks and their buttons. A restart resumes every unfinished row."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .db import Database
from .models import ChatKey


class MjStatus(StrEnum):
    SUBMITTING = "submitting"  # the submit call is in flight: never sent again after a crash
    SUBMITTED = "submitted"  # accepted by the gateway, not started yet
    RUNNING = "running"
    MODAL = "modal"  # waits for the user's prompt (Custom Zoom, remix)
    SUCCEEDED = "succeeded"  # finished upstream, result not yet in the chat
    DELIVERING = "delivering"  # claimed by one delivery
    DELIVERED = "delivered"
    FAILED = "failed"  # failed upstream (or timed out), not yet told
    CLOSED = "closed"  # failure told to the user


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


def _task(row: Any) -> MjTaskRow:
    return MjTaskRow(
        id=row["id"],
        task_id=row["task_id"],
        chat=ChatKey(row["chat_id"], row["thread_id"]),
        user_id=row["user_id"],
        lang=row["lang"],
        action=row["action"],
        parent_id=row["parent_id"],
        status=MjStatus(row["status"]),
        progress=row["progress"],
        prompt=row["prompt"],
        final_prompt=row["final_prompt"],
        fail_reason=row["fail_reason"],
        image_url=row["image_url"],
        reply_to=row["reply_to"],
        progress_message_id=row["progress_message_id"],
        progress_is_photo=bool(row["progress_is_photo"]),
        modal_message_id=row["modal_message_id"],
        result_message_id=row["result_message_id"],
        created_at=row["created_at"],
        shown_at=row["shown_at"],
        delivery_attempts=row["delivery_attempts"],
        video_url=row["video_url"],
    )


def _button(row: Any) -> MjButtonRow:
    return MjButtonRow(
        row["id"],
        row["task_row"],
        row["custom_id"],
        row["label"],
        row["emoji"],
        row["position"],
    )


class MjTaskRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

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
        now = time.time()
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO mj_tasks (chat_id, thread_id, user_id, lang, action, parent_id, status, prompt, "
                "reply_to, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    chat.chat_id,
                    chat.thread_id,
                    user_id,
                    lang,
                    action,
                    parent_id,
                    MjStatus.SUBMITTING,
                    prompt,
                    reply_to,
                    now,
                    now,
                ),
            )
            return int(cursor.lastrowid or 0)

    async def _one(self, where: str, params: tuple[Any, ...]) -> MjTaskRow | None:
        async with self._db.read() as conn:
            async with conn.execute(f"SELECT * FROM mj_tasks WHERE {where} LIMIT 1", params) as cursor:
                row = await cursor.fetchone()
        return _task(row) if row else None

    async def _many(self, where: str, params: tuple[Any, ...]) -> list[MjTaskRow]:
        async with self._db.read() as conn:
            async with conn.execute(f"SELECT * FROM mj_tasks WHERE {where} ORDER BY id", params) as cursor:
                rows = await cursor.fetchall()
        return [_task(row) for row in rows]

    async def get(self, row_id: int) -> MjTaskRow | None:
        return await self._one("id = ?", (row_id,))

    async def by_result_message(self, chat_id: int, message_id: int) -> MjTaskRow | None:
        return await self._one("chat_id = ? AND result_message_id = ?", (chat_id, message_id))

    async def by_modal_message(self, chat_id: int, message_id: int) -> MjTaskRow | None:
        return await self._one(
            "chat_id = ? AND modal_message_id = ? AND status = ?", (chat_id, message_id, MjStatus.MODAL)
        )

    async def with_status(self, *statuses: MjStatus) -> list[MjTaskRow]:
        marks = ",".join("?" * len(statuses))
        return await self._many(f"status IN ({marks})", tuple(s.value for s in statuses))

    async def count_by_status(self) -> dict[MjStatus, int]:
        """How many tasks are in each state (every state, 0 included), from the status index alone."""
        counts = dict.fromkeys(MjStatus, 0)
        async with self._db.read() as conn:
            async with conn.execute("SELECT status, COUNT(*) FROM mj_tasks GROUP BY status") as cursor:
                for status, count in await cursor.fetchall():
                    if status in counts:
                        counts[MjStatus(status)] = int(count)
        return counts

    async def update(self, row_id: int, **fields: Any) -> None:
        allowed = {
            "task_id",
            "status",
            "progress",
            "final_prompt",
            "fail_reason",
            "image_url",
            "video_url",
            "progress_message_id",
            "progress_is_photo",
            "modal_message_id",
            "result_message_id",
            "shown_at",
            "delivery_attempts",
            "prompt",
            "action",
        }
        if not fields or not set(fields) <= allowed:  # column names go into the SQL text
            raise ValueError(f"cannot update {sorted(fields)}")
        columns = ", ".join(f"{name} = ?" for name in fields)
        values = [v.value if isinstance(v, StrEnum) else v for v in fields.values()]
        async with self._db.transaction() as conn:
            await conn.execute(
                f"UPDATE mj_tasks SET {columns}, updated_at = ? WHERE id = ?", (*values, time.time(), row_id)
            )

    async def claim(self, row_id: int, from_statuses: tuple[MjStatus, ...], to_status: MjStatus) -> bool:
        """Move a task on only if it is still in one of `from_statuses` (one winner among racing callers)."""
        marks = ",".join("?" * len(from_statuses))
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE mj_tasks SET status = ?, updated_at = ? WHERE id = ? AND status IN ({marks})",
                (to_status.value, time.time(), row_id, *(s.value for s in from_statuses)),
            )
            return cursor.rowcount == 1

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
