"""The SQLite connection: WAL, foreign keys, migrations, and transactions that never interleave."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from .migrations import MIGRATIONS


class Database:
    """One aiosqlite connection for the process.

    aiosqlite runs every statement on one worker thread, so statements never race; the lock
    keeps one coroutine's transaction from interleaving with another's on that connection.
    """

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._conn = connection
        self._lock = asyncio.Lock()
        self._writes = 0  # transactions started or waiting (close() lets them finish)
        self._idle = asyncio.Event()
        self._idle.set()

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)  # we issue BEGIN/COMMIT ourselves
        connection.row_factory = aiosqlite.Row
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute("PRAGMA busy_timeout=5000")
        await connection.execute("PRAGMA synchronous=NORMAL")
        database = cls(connection)
        try:
            await database.migrate()
        except BaseException:
            await connection.close()
            raise
        return database

    async def close(self, grace: float = 5.0) -> None:
        """Close once the writes already under way (a shielded answer being stored, say) have finished."""
        await asyncio.sleep(0)  # a write just scheduled (asyncio.shield) gets to start and be counted
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)
        await self._conn.close()

    async def schema_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        """Apply the numbered migrations newer than `PRAGMA user_version`, each in its own transaction."""
        current = await self.schema_version()
        for version, statements in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            async with self.transaction() as conn:
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {version}")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error (cancellation included)."""
        self._writes += 1
        self._idle.clear()
        try:
            async with self._lock:
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                    await asyncio.shield(self._conn.execute("COMMIT"))
                except BaseException:
                    # also when COMMIT itself fails (SQLITE_BUSY): never leave the connection in a transaction
                    if self._conn.in_transaction:
                        await asyncio.shield(self._conn.execute("ROLLBACK"))
                    raise
        finally:
            self._writes -= 1
            if not self._writes:
                self._idle.set()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Reads share the lock so they never see another coroutine's open transaction half done."""
        async with self._lock:
            yield self._conn
