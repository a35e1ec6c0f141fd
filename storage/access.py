"""Who may use the bot beyond the environment's lists: grants and denials made by admins from the chat."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from .db import Database

AccessState = Literal["allowed", "denied"]


@dataclass(frozen=True, slots=True)
class AccessEntry:
    subject_id: int  # a user id, or a group's (negative) chat id
    state: AccessState
    changed_by: int | None
    changed_at: float


class AccessRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[AccessEntry]:
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT subject_id, state, changed_by, changed_at FROM access ORDER BY changed_at"
            ) as cursor:
                rows = await cursor.fetchall()
        return [AccessEntry(row[0], row[1], row[2], row[3]) for row in rows]

    async def set(self, subject_id: int, state: AccessState, changed_by: int | None) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO access (subject_id, state, changed_by, changed_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (subject_id) DO UPDATE SET state = excluded.state, changed_by = excluded.changed_by, "
                "changed_at = excluded.changed_at",
                (subject_id, state, changed_by, time.time()),
            )


class BotStateRepository:
    """Small facts that must survive a restart (e.g. "the low-balance warning was sent")."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        async with self._db.read() as conn:
            async with conn.execute("SELECT value FROM bot_state WHERE key = ?", (key,)) as cursor:
                row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set(self, key: str, value: str | None) -> None:
        async with self._db.transaction() as conn:
            if value is None:
                await conn.execute("DELETE FROM bot_state WHERE key = ?", (key,))
            else:
                await conn.execute(
                    "INSERT INTO bot_state (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
