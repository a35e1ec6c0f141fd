"""The PostgreSQL backend (asyncpg): a small pool, migrations, and transactions that never interleave.

It keeps the SQLite backend's guarantees, so the repositories (written once, in SQLite's SQL: see
`storage.sql`) behave the same on both:

- Writes never interleave. A transaction takes this process's lock and then a transaction-scoped
  advisory lock (`WRITE_LOCK`), the same one for every process on the database: like SQLite's single
  writer (BEGIN IMMEDIATE), so a check-then-write (a daily limit reserved, a conversation found or
  created) cannot race another, in this process or another one.
- Reads go to other pooled connections (they see every committed write and never wait for the writer),
  after the writes that other tasks of this process started before them (read after write).
- Migrations run once, under a session advisory lock (`MIGRATE_LOCK`), each in its own transaction;
  the version is a one-row table (`wenwen_schema_version`), the counterpart of SQLite's `user_version`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Generator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from .db import Database, SchemaTooNew
from .migrations import MIGRATIONS
from .sql import Dialect, FetchedCursor, Translated, postgres_statement, to_postgres
from .writes import WriteTracker

POOL_SIZE = 5  # one writer at a time and a few readers: what SQLite's one writer and three readers were
MIGRATE_LOCK = 0x77_65_6E_01  # advisory lock keys ("wen" + n), one namespace for the bot on its database
WRITE_LOCK = 0x77_65_6E_02
VERSION_TABLE = "wenwen_schema_version"
_TRANSLATED_CACHE = 4096  # distinct statements kept translated (IN lists of every length included)
_STATUS_COUNT = re.compile(r"(\d+)$")


class _PgResult:
    """`await conn.execute(...)` and `async with conn.execute(...) as cursor`, as aiosqlite allows."""

    __slots__ = ("_coro",)

    def __init__(self, coro: Any) -> None:
        self._coro = coro

    def __await__(self) -> Generator[Any, None, FetchedCursor]:
        cursor: FetchedCursor = yield from self._coro.__await__()
        return cursor

    async def __aenter__(self) -> FetchedCursor:
        cursor: FetchedCursor = await self._coro
        return cursor

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any, /) -> None:
        return None


class PgConnection:
    """One pooled asyncpg connection, offering the part of aiosqlite's connection the repositories use."""

    __slots__ = ("_db", "raw")

    def __init__(self, raw: asyncpg.Connection, db: PostgresDatabase) -> None:
        self.raw = raw
        self._db = db

    def execute(self, sql: str, parameters: Iterable[Any] | None = None, /) -> _PgResult:
        return _PgResult(self._run(sql, tuple(parameters) if parameters is not None else ()))

    async def _run(self, sql: str, parameters: tuple[Any, ...]) -> FetchedCursor:
        statement = self._db.translate(sql)
        if statement.returns_rows:
            rows = await self.raw.fetch(statement.sql, *parameters)
            lastrowid = int(rows[0][0]) if statement.returns_id and rows else None
            return FetchedCursor(rows, len(rows), lastrowid)
        status = await self.raw.execute(statement.sql, *parameters)
        counted = _STATUS_COUNT.search(status or "")
        return FetchedCursor((), int(counted.group(1)) if counted else -1, None)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]], /) -> None:
        statement = self._db.translate(sql, want_id=False)
        await self.raw.executemany(statement.sql, [tuple(p) for p in parameters])


class PostgresDatabase(Database):
    dialect: Dialect = "postgres"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._lock = asyncio.Lock()
        self._id_tables: frozenset[str] = frozenset()
        self._keys: dict[str, tuple[str, ...]] = {}
        self._translated: dict[tuple[str, bool], Translated] = {}
        self._writes = WriteTracker()

    @classmethod
    async def open(cls, target: Path | str, *, pool_size: int = POOL_SIZE) -> PostgresDatabase:
        url = str(target)
        pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_size)
        database = cls(pool)
        try:
            await database.migrate()
            await database._learn_schema()
        except BaseException:
            await pool.close()
            raise
        return database

    async def close(self, grace: float = 5.0) -> None:
        await self._writes.idle(grace)
        try:
            await asyncio.wait_for(self._pool.close(), grace)
        except TimeoutError:
            self._pool.terminate()

    # ------------------------------------------------------------------ schema

    async def schema_version(self) -> int:
        async with self._pool.acquire() as raw:
            return await _version(raw)

    async def migrate(self) -> None:
        """The numbered migrations newer than the stored version, each in its own transaction, once.

        A database written by a newer version is refused before anything is changed (as on SQLite).
        """
        async with self._pool.acquire() as raw:
            await raw.execute(f"SELECT pg_advisory_lock({MIGRATE_LOCK})")
            try:
                await raw.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version BIGINT NOT NULL)")
                current = await _version(raw)
                if current > len(MIGRATIONS):
                    raise SchemaTooNew(current, len(MIGRATIONS))
                for version, statements in enumerate(MIGRATIONS, start=1):
                    if version <= current:
                        continue
                    async with raw.transaction():
                        for statement in statements:
                            sql = postgres_statement(statement)
                            if sql is not None:
                                await raw.execute(sql)
                        await raw.execute(f"DELETE FROM {VERSION_TABLE}")
                        await raw.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES ($1)", version)
            finally:
                await raw.execute(f"SELECT pg_advisory_unlock({MIGRATE_LOCK})")

    async def _learn_schema(self) -> None:
        """Which tables have an identity id (an INSERT returns it) and each table's primary key."""
        async with self._pool.acquire() as raw:
            ids = await raw.fetch(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND column_name = 'id' AND is_identity = 'YES'"
            )
            keys = await raw.fetch(
                "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc "
                "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name "
                "AND kcu.table_schema = tc.table_schema "
                "WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema() "
                "ORDER BY tc.table_name, kcu.ordinal_position"
            )
        self._id_tables = frozenset(str(row[0]) for row in ids)
        found: dict[str, list[str]] = {}
        for table, column in keys:
            found.setdefault(str(table), []).append(str(column))
        self._keys = {table: tuple(columns) for table, columns in found.items()}
        self._translated.clear()

    def _primary_key(self, table: str) -> tuple[str, ...]:
        keys = self._keys.get(table.lower())
        if not keys:
            raise ValueError(f"INSERT OR REPLACE into {table}, which has no primary key")
        return keys

    def translate(self, sql: str, *, want_id: bool = True) -> Translated:
        key = (sql, want_id)
        found = self._translated.get(key)
        if found is None:
            if len(self._translated) >= _TRANSLATED_CACHE:
                self._translated.clear()
            found = to_postgres(sql, self._id_tables if want_id else frozenset(), self._primary_key)
            self._translated[key] = found
        return found

    # ------------------------------------------------------------------ transactions and reads

    async def probe_write(self) -> None:
        """A tiny write, always rolled back: raises when the database cannot be written now."""
        async with self._pool.acquire() as raw:
            transaction = raw.transaction()
            await transaction.start()
            try:
                await raw.execute(
                    "INSERT INTO bot_state (key, value) VALUES ('health_probe', '') "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
                )
            finally:
                await transaction.rollback()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConnection]:
        """BEGIN … COMMIT under the write lock, rolled back on any error (cancellation included)."""
        async with self._writes.write(), self._lock, self._pool.acquire() as raw:
            await raw.execute(f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})")
            try:
                yield PgConnection(raw, self)
                await asyncio.shield(raw.execute("COMMIT"))
            except BaseException:
                if raw.is_in_transaction():
                    try:
                        await asyncio.shield(raw.execute("ROLLBACK"))
                    except Exception:
                        raw.terminate()  # never hand a connection back to the pool mid-transaction
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PgConnection]:
        """A pooled connection outside any transaction: it sees only committed data."""
        await self._writes.wait_for_earlier()
        async with self._pool.acquire() as raw:
            yield PgConnection(raw, self)


async def _version(raw: asyncpg.Connection) -> int:
    if await raw.fetchval(f"SELECT to_regclass('{VERSION_TABLE}')") is None:
        return 0
    found = await raw.fetchval(f"SELECT MAX(version) FROM {VERSION_TABLE}")
    return int(found or 0)


async def schema_version_at(url: str) -> int:
    """The schema version of the PostgreSQL database at `url`, read without migrating it (0: none yet)."""
    raw = await asyncpg.connect(url, timeout=10)
    try:
        return await _version(raw)
    finally:
        await raw.close()
