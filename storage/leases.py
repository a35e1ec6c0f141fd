"""Leases (`leases`) and stop requests (`stop_requests`), for several bot processes on one database.

A lease is a named row with a holder and an expiry. Taking it is a check-then-write inside one write
transaction (writes never interleave, on either backend: storage/postgres.py's WRITE_LOCK), so exactly one
holder has a lease at a time; a holder keeps it by renewing before it expires, and a holder that dies
loses it when the expiry passes. Names used by the bot: `poller` (the one long-polling process),
`leader` (the one process polling Midjourney and other tasks), `turn:<chat>:<thread>` (a chat's answer
being written), `chat:<chat>` (a chat's update being handled).

A stop request is a /stop (or ⏹) for an answer another process is writing: that process reads them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .db import Database


@dataclass(frozen=True, slots=True)
class StopRequest:
    id: int
    chat_id: int
    thread_id: int
    requested_by: int
    may_stop_any: bool
    requested_at: float


class LeaseRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def take(self, name: str, holder: str, seconds: float, now: float | None = None) -> bool:
        """True if `holder` has the lease for `seconds` from now: it was free, expired, or already its own."""
        now = time.time() if now is None else now
        async with self._db.transaction() as conn:
            async with conn.execute("SELECT holder, expires_at FROM leases WHERE name = ?", (name,)) as cursor:
                row = await cursor.fetchone()
            if row is None:
                await conn.execute(
                    "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)", (name, holder, now + seconds)
                )
                return True
            if row[0] != holder and float(row[1]) > now:
                return False
            await conn.execute(
                "UPDATE leases SET holder = ?, expires_at = ? WHERE name = ?", (holder, now + seconds, name)
            )
            return True

    async def renew_all(self, holder: str, seconds: float, now: float | None = None) -> int:
        """Every lease `holder` still has lasts `seconds` from now (one statement); how many it has."""
        now = time.time() if now is None else now
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE leases SET expires_at = ? WHERE holder = ? AND expires_at > ?", (now + seconds, holder, now)
            )
            return int(cursor.rowcount)

    async def release(self, name: str, holder: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    async def release_all(self, holder: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM leases WHERE holder = ?", (holder,))

    async def holder_of(self, name: str, now: float | None = None) -> str | None:
        """Who has the lease now (None: nobody, or it expired)."""
        now = time.time() if now is None else now
        async with (
            self._db.read() as conn,
            conn.execute("SELECT holder FROM leases WHERE name = ? AND expires_at > ?", (name, now)) as cursor,
        ):
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def forget_expired(self, before: float) -> int:
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM leases WHERE expires_at < ?", (before,))
            return int(cursor.rowcount)


class StopRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def request(self, chat_id: int, thread_id: int, by: int, *, may_stop_any: bool) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO stop_requests (chat_id, thread_id, requested_by, may_stop_any, requested_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (chat_id, thread_id, by, 1 if may_stop_any else 0, time.time()),
            )

    async def after(self, last_id: int) -> list[StopRequest]:
        """Requests newer than the one numbered `last_id`, oldest first (ids follow the order of the writes)."""
        async with (
            self._db.read() as conn,
            conn.execute(
                "SELECT id, chat_id, thread_id, requested_by, may_stop_any, requested_at FROM stop_requests "
                "WHERE id > ? ORDER BY id",
                (last_id,),
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return [StopRequest(int(r[0]), int(r[1]), int(r[2]), int(r[3]), bool(r[4]), float(r[5])) for r in rows]

    async def last_id(self) -> int:
        async with self._db.read() as conn, conn.execute("SELECT MAX(id) FROM stop_requests") as cursor:
            row = await cursor.fetchone()
        return int(row[0] or 0) if row is not None else 0

    async def forget_before(self, before: float) -> int:
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM stop_requests WHERE requested_at < ?", (before,))
            return int(cursor.rowcount)
