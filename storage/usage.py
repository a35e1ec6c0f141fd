"""What each user spent per UTC day and model (requests, tokens, images), and per-user daily limits."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from .db import Database
from .sql import Connection

LimitName = Literal["requests", "tokens", "images"]
NO_LIMIT = -1  # a per-user limit that lifts the default


@dataclass(frozen=True, slots=True)
class UsageRow:
    day: str
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    images: int = 0


@dataclass(frozen=True, slots=True)
class DayTotals:
    requests: int = 0
    tokens: int = 0
    images: int = 0


@dataclass(frozen=True, slots=True)
class UserLimits:
    """A user's own limits; None means the default applies, NO_LIMIT means none."""

    requests: int | None = None
    tokens: int | None = None
    images: int | None = None


@dataclass(frozen=True, slots=True)
class Reservation:
    """A reserve() that went over a limit: which one, and what was used."""

    limit: LimitName
    used: int
    allowed: int


class UsageRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._limits: dict[int, UserLimits] = {}  # per-user limits, read before every paid call
        self._limit_writes = 0

    async def record(
        self,
        user_id: int,
        day: date,
        model: str,
        *,
        requests: int = 0,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        images: int = 0,
    ) -> None:
        """Add to a day's counters (negative numbers give back what a call that did not happen took)."""
        await self._db.write(*_add(user_id, day, model, requests, prompt_tokens, completion_tokens, images))

    async def reserve(
        self, user_id: int, day: date, model: str, *, images: int, limits: DayTotals | None
    ) -> Reservation | None:
        """One request (and `images`) counted now, unless that goes over `limits` (0 = none): then nothing is.

        Check and count are one transaction, so two calls racing cannot both take the last request.
        """
        if limits is None:  # nothing to check: the count alone, one statement
            await self._db.write(*_add(user_id, day, model, 1, 0, 0, images))
            return None
        async with self._db.transaction() as conn:
            used = await _totals(conn, user_id, day)
            over: list[tuple[LimitName, int, int]] = []
            if limits.requests and used.requests + 1 > limits.requests:
                over.append(("requests", used.requests, limits.requests))
            if images and limits.images and used.images + images > limits.images:
                over.append(("images", used.images, limits.images))
            if limits.tokens and used.tokens >= limits.tokens:  # a call may start while tokens are left
                over.append(("tokens", used.tokens, limits.tokens))
            if over:
                return Reservation(*over[0])
            await conn.execute(*_add(user_id, day, model, 1, 0, 0, images))
        return None

    async def totals(self, user_id: int, day: date) -> DayTotals:
        async with self._db.read() as conn:
            return await _totals(conn, user_id, day)

    async def for_user(self, user_id: int, today: date, days: int = 30) -> list[UsageRow]:
        """The user's usage of the last `days` days (today included), newest first."""
        rows = await self._since(
            "SELECT day, model, requests, prompt_tokens, completion_tokens, images FROM usage_daily "
            "WHERE user_id = ? AND day >= ? ORDER BY day DESC, model",
            today,
            days,
            user_id,
        )
        return [UsageRow(*tuple(row)) for row in rows]

    async def totals_by_user(self, today: date, days: int = 30) -> list[tuple[int, int, int, int]]:
        """(user id, requests, prompt tokens, completion tokens) over the last `days` days, biggest first."""
        rows = await self._since(
            "SELECT user_id, SUM(requests), SUM(prompt_tokens), SUM(completion_tokens) FROM usage_daily "
            "WHERE day >= ? GROUP BY user_id ORDER BY SUM(prompt_tokens) + SUM(completion_tokens) DESC LIMIT 50",
            today,
            days,
        )
        return [(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    async def totals_by_day(self, today: date, days: int = 30) -> list[tuple[str, DayTotals]]:
        """Everyone's usage per day over the last `days` days, oldest first (days without use left out)."""
        rows = await self._since(
            "SELECT day, SUM(requests), SUM(prompt_tokens) + SUM(completion_tokens), SUM(images) "
            "FROM usage_daily WHERE day >= ? GROUP BY day ORDER BY day",
            today,
            days,
        )
        return [(str(r[0]), DayTotals(int(r[1]), int(r[2]), int(r[3]))) for r in rows]

    async def _since(self, sql: str, today: date, days: int, *parameters: Any) -> list[Any]:
        """The rows of `sql` over the last `days` days (today included): its last parameter is the first day."""
        since = (today - timedelta(days=days - 1)).isoformat()
        async with self._db.read() as conn, conn.execute(sql, (*parameters, since)) as cursor:
            return list(await cursor.fetchall())

    # ------------------------------------------------------------------ per-user limits

    async def limits_of(self, user_id: int) -> UserLimits:
        known = self._limits.get(user_id)
        if known is not None:
            return known
        writes = self._limit_writes
        found = await self._load_limits(user_id)
        if len(self._limits) > 50_000:
            self._limits.clear()
        if writes == self._limit_writes:  # a read that overlapped a change is not kept
            self._limits[user_id] = found
        return found

    def evict_limits(self, user_id: int) -> None:
        """The user's own limits were deleted (/forget): the defaults apply from the next call on."""
        self._limit_writes += 1
        self._limits.pop(user_id, None)

    async def _load_limits(self, user_id: int) -> UserLimits:
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT requests, tokens, images FROM user_limits WHERE user_id = ?", (user_id,)
            ) as cursor:
                row = await cursor.fetchone()
        return UserLimits(row[0], row[1], row[2]) if row else UserLimits()

    async def set_limit(self, user_id: int, name: LimitName, value: int | None) -> None:
        if name not in ("requests", "tokens", "images"):
            raise ValueError(name)  # the name goes into the SQL text
        async with self._db.transaction() as conn:
            await conn.execute(
                f"INSERT INTO user_limits (user_id, {name}, changed_at) VALUES (?, ?, ?) "
                f"ON CONFLICT (user_id) DO UPDATE SET {name} = excluded.{name}, changed_at = excluded.changed_at",
                (user_id, value, time.time()),
            )
        self._limit_writes += 1
        self._limits.pop(user_id, None)


def _add(
    user_id: int, day: date, model: str, requests: int, prompt: int, completion: int, images: int
) -> tuple[str, tuple[Any, ...]]:
    """The upsert that adds to a day's counters (one statement: atomic without a transaction)."""
    return (
        "INSERT INTO usage_daily (user_id, day, model, requests, prompt_tokens, completion_tokens, images) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, day, model) DO UPDATE SET "
        "requests = usage_daily.requests + excluded.requests, "
        "prompt_tokens = usage_daily.prompt_tokens + excluded.prompt_tokens, "
        "completion_tokens = usage_daily.completion_tokens + excluded.completion_tokens, "
        "images = usage_daily.images + excluded.images",
        (user_id, day.isoformat(), model, requests, prompt, completion, images),
    )


async def _totals(conn: Connection, user_id: int, day: date) -> DayTotals:
    async with conn.execute(
        "SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(prompt_tokens) + SUM(completion_tokens), 0), "
        "COALESCE(SUM(images), 0) FROM usage_daily WHERE user_id = ? AND day = ?",
        (user_id, day.isoformat()),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None  # an aggregate always answers one row
    return DayTotals(int(row[0]), int(row[1]), int(row[2]))
