"""Token usage per user per day and model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .db import Database


@dataclass(frozen=True, slots=True)
class UsageRow:
    day: str
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int


class UsageRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, user_id: int, model: str, prompt_tokens: int, completion_tokens: int) -> None:
        day = datetime.now(UTC).date().isoformat()
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO usage_daily (user_id, day, model, requests, prompt_tokens, completion_tokens) "
                "VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (user_id, day, model) DO UPDATE SET "
                "requests = requests + 1, prompt_tokens = prompt_tokens + excluded.prompt_tokens, "
                "completion_tokens = completion_tokens + excluded.completion_tokens",
                (user_id, day, model, prompt_tokens, completion_tokens),
            )

    async def for_user(self, user_id: int, days: int = 30) -> list[UsageRow]:
        """The user's usage of the last `days` days (today included), newest first."""
        since = (datetime.now(UTC).date() - timedelta(days=days - 1)).isoformat()
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT day, model, requests, prompt_tokens, completion_tokens FROM usage_daily "
                "WHERE user_id = ? AND day >= ? ORDER BY day DESC, model",
                (user_id, since),
            ) as cursor:
                rows = await cursor.fetchall()
        return [UsageRow(*tuple(row)) for row in rows]

    async def totals_by_user(self, days: int = 30) -> list[tuple[int, int, int, int]]:
        """(user id, requests, prompt tokens, completion tokens) over the last `days` days, biggest first."""
        since = (datetime.now(UTC).date() - timedelta(days=days - 1)).isoformat()
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT user_id, SUM(requests), SUM(prompt_tokens), SUM(completion_tokens) FROM usage_daily "
                "WHERE day >= ? GROUP BY user_id ORDER BY SUM(prompt_tokens) + SUM(completion_tokens) DESC LIMIT 50",
                (since,),
            ) as cursor:
                rows = await cursor.fetchall()
        return [(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]
