"""aiosqlite's connection as the repositories get it: a query read with `async with` costs one trip.

Each aiosqlite call is a trip to the connection's thread and back (a queue, a thread switch, a wake-up
of the event loop). `async with conn.execute(sql) as cursor: await cursor.fetchall()` is three of them
(execute, fetch, close); here it is one (`execute_fetchall`), the rows handed over as a
`FetchedCursor`. At the busy hour a turn made 42 trips, and every read waits for the writes before it.
`await conn.execute(...)` (writes, which read `rowcount`/`lastrowid`) is aiosqlite's own, one trip.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any

import aiosqlite

from .sql import FetchedCursor


class _Statement:
    """One statement, run when awaited (aiosqlite's cursor) or entered (its rows, read in the same trip)."""

    __slots__ = ("_parameters", "_raw", "_sql")

    def __init__(self, raw: aiosqlite.Connection, sql: str, parameters: Iterable[Any] | None) -> None:
        self._raw, self._sql, self._parameters = raw, sql, parameters

    def __await__(self) -> Generator[Any, None, aiosqlite.Cursor]:
        return self._raw.execute(self._sql, self._parameters).__await__()

    async def __aenter__(self) -> FetchedCursor:
        rows = list(await self._raw.execute_fetchall(self._sql, self._parameters))
        return FetchedCursor(rows, -1, None)  # sqlite3 says -1 for a SELECT's rowcount too

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any, /) -> None:
        return None


class OneTripConnection:
    """The part of aiosqlite's connection the repositories use (`storage.sql.Connection`)."""

    __slots__ = ("raw",)

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Iterable[Any] | None = None, /) -> _Statement:
        return _Statement(self.raw, sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]], /) -> aiosqlite.Cursor:
        return await self.raw.executemany(sql, parameters)
