"""Telegram updates claimed once (`update_claims`), for several webhook processes on one database.

Telegram sends an update again when its webhook answer is late or lost, and behind a load balancer the
copy may reach another process. The process that handles an update claims its `update_id` first, in a
transaction of its own; the claim is one INSERT against the primary key, so exactly one claimer wins on
either backend, whichever process or task it is. Claims older than Telegram's redelivery horizon (it
keeps an update for at most 24 hours) can be forgotten.
"""

from __future__ import annotations

import time

from .db import Database

KEEP_SECONDS = 24 * 3600 + 600  # Telegram keeps an unconfirmed update for 24 hours


class ClaimRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim_update(self, update_id: int, owner: str = "") -> bool:
        """True for the first claim of this update only (a redelivered or duplicated copy gets False)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO update_claims (update_id, claimed_at, claimed_by) VALUES (?, ?, ?) "
                "ON CONFLICT (update_id) DO NOTHING",
                (update_id, time.time(), owner),
            )
            return cursor.rowcount == 1

    async def claimed(self, update_id: int) -> bool:
        """Whether the update was claimed already (handled, or being handled, by some process)."""
        async with (
            self._db.read() as conn,
            conn.execute("SELECT 1 FROM update_claims WHERE update_id = ?", (update_id,)) as cursor,
        ):
            return await cursor.fetchone() is not None

    async def forget_before(self, before: float) -> int:
        """Drop claims made before `before` (seconds since the epoch); how many went."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM update_claims WHERE claimed_at < ?", (before,))
            return int(cursor.rowcount)
