"""Long-running gateway jobs of any kind (video, …): one row each, resumed after a restart.

The life cycle is the one Midjourney's has (docs/architecture.md, "The task engine"): a row before the
submit, the gateway's id written the moment the submit answers, polled, delivered once. What a kind needs
beyond the shared columns (its options, its result's URL) is in `payload`, a JSON object.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .db import Database
from .models import ChatKey


class TaskState(StrEnum):
    SUBMITTING = "submitting"  # the submit is in flight: never sent again after a crash
    SUBMITTED = "submitted"  # accepted by the gateway, not started yet
    RUNNING = "running"
    MODAL = "modal"  # waits for the user's input (Midjourney's Custom Zoom, remix): not polled meanwhile
    SUCCEEDED = "succeeded"  # finished upstream, result not yet in the chat
    DELIVERING = "delivering"  # claimed by one delivery
    DELIVERED = "delivered"
    FAILED = "failed"  # failed upstream (or timed out, or undeliverable), not yet told
    CLOSED = "closed"  # refused at submit, or the failure was told


@dataclass(frozen=True, slots=True)
class TaskRow:
    id: int
    kind: str
    chat: ChatKey
    user_id: int
    lang: str
    state: TaskState
    gateway_id: str | None
    progress: int
    result: str  # what the kind stored to fetch the result (a URL, or "" when the gateway serves it by id)
    fail_reason: str
    attempts: int  # delivery attempts
    reply_to: int | None
    progress_message_id: int | None
    result_message_id: int | None
    created_at: float
    updated_at: float
    shown_at: float
    payload: dict[str, Any] = field(default_factory=dict)
    parent_id: int | None = None  # the task this one was made from (a button pressed on its result)


_COLUMNS = {
    "state",
    "gateway_id",
    "progress",
    "result",
    "fail_reason",
    "attempts",
    "progress_message_id",
    "result_message_id",
    "shown_at",
    "payload",
    "parent_id",
}


def _row(row: Any) -> TaskRow:
    payload = json.loads(row["payload"] or "{}")
    return TaskRow(
        id=row["id"],
        kind=row["kind"],
        chat=ChatKey(row["chat_id"], row["thread_id"]),
        user_id=row["user_id"],
        lang=row["lang"],
        state=TaskState(row["state"]),
        gateway_id=row["gateway_id"],
        progress=row["progress"],
        result=row["result"],
        fail_reason=row["fail_reason"],
        attempts=row["attempts"],
        reply_to=row["reply_to"],
        progress_message_id=row["progress_message_id"],
        result_message_id=row["result_message_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        shown_at=row["shown_at"],
        payload=payload if isinstance(payload, dict) else {},
        parent_id=row["parent_id"],
    )


class TaskRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        kind: str,
        chat: ChatKey,
        user_id: int,
        lang: str,
        payload: dict[str, Any],
        *,
        reply_to: int | None = None,
        parent_id: int | None = None,
    ) -> int:
        """The row, as SUBMITTING, before the submit leaves."""
        now = time.time()
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO tasks (kind, chat_id, thread_id, user_id, lang, state, payload, reply_to, "
                "parent_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    chat.chat_id,
                    chat.thread_id,
                    user_id,
                    lang,
                    TaskState.SUBMITTING.value,
                    json.dumps(payload, ensure_ascii=False),
                    reply_to,
                    parent_id,
                    now,
                    now,
                ),
            )
            return int(cursor.lastrowid or 0)

    async def get(self, row_id: int) -> TaskRow | None:
        async with self._db.read() as conn:
            async with conn.execute("SELECT * FROM tasks WHERE id = ?", (row_id,)) as cursor:
                row = await cursor.fetchone()
        return _row(row) if row else None

    async def with_state(self, kind: str, *states: TaskState) -> list[TaskRow]:
        marks = ",".join("?" * len(states))
        async with self._db.read() as conn:
            async with conn.execute(
                f"SELECT * FROM tasks WHERE kind = ? AND state IN ({marks}) ORDER BY id",
                (kind, *(s.value for s in states)),
            ) as cursor:
                rows = await cursor.fetchall()
        return [_row(row) for row in rows]

    async def by_result_message(self, kind: str, chat_id: int, message_id: int) -> TaskRow | None:
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT * FROM tasks WHERE chat_id = ? AND result_message_id = ? AND kind = ? LIMIT 1",
                (chat_id, message_id, kind),
            ) as cursor:
                row = await cursor.fetchone()
        return _row(row) if row else None

    async def in_chat(self, kind: str, chat_id: int, state: TaskState) -> list[TaskRow]:
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT * FROM tasks WHERE kind = ? AND state = ? AND chat_id = ? ORDER BY id",
                (kind, state.value, chat_id),
            ) as cursor:
                rows = await cursor.fetchall()
        return [_row(row) for row in rows]

    async def count_by_state(self, kind: str) -> dict[TaskState, int]:
        counts = dict.fromkeys(TaskState, 0)
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT state, COUNT(*) FROM tasks WHERE kind = ? GROUP BY state", (kind,)
            ) as cursor:
                for state, count in await cursor.fetchall():
                    if state in counts:
                        counts[TaskState(state)] = int(count)
        return counts

    async def update(self, row_id: int, *, merge: dict[str, Any] | None = None, **fields: Any) -> None:
        """Set columns; `merge`: keys written into the payload (read and written in one transaction)."""
        if not (fields or merge) or not set(fields) <= _COLUMNS:  # column names go into the SQL text
            raise ValueError(f"cannot update {sorted(fields)}")
        async with self._db.transaction() as conn:
            if merge:
                async with conn.execute("SELECT payload FROM tasks WHERE id = ?", (row_id,)) as cursor:
                    row = await cursor.fetchone()
                stored = json.loads(row[0] or "{}") if row else {}
                fields = {**fields, "payload": {**(stored if isinstance(stored, dict) else {}), **merge}}
            values = [
                json.dumps(v, ensure_ascii=False) if name == "payload" else v.value if isinstance(v, StrEnum) else v
                for name, v in fields.items()
            ]
            columns = ", ".join(f"{name} = ?" for name in fields)
            await conn.execute(
                f"UPDATE tasks SET {columns}, updated_at = ? WHERE id = ?", (*values, time.time(), row_id)
            )

    async def claim(self, row_id: int, from_states: tuple[TaskState, ...], to_state: TaskState) -> bool:
        """Move a task on only if it is still in one of `from_states` (one winner among racing callers)."""
        marks = ",".join("?" * len(from_states))
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"UPDATE tasks SET state = ?, updated_at = ? WHERE id = ? AND state IN ({marks})",
                (to_state.value, time.time(), row_id, *(s.value for s in from_states)),
            )
            return cursor.rowcount == 1
