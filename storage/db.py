"""The database the repositories use (`Database`), and its SQLite backend: WAL, foreign keys, migrations,
and transactions that never interleave. The PostgreSQL backend is `storage.postgres` (`DATABASE_URL`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from .migrations import MIGRATIONS
from .sql import Connection, Dialect, is_postgres_url, sqlite_statement
from .sqlite_conn import OneTripConnection
from .writes import WriteTracker

T = TypeVar("T")

READERS = 3  # read-only connections beside the one writer (WAL lets them read while it writes)


async def _connect(path: Path | str, *, read_only: bool = False) -> aiosqlite.Connection:
    connection = await aiosqlite.connect(path, isolation_level=None)  # we issue BEGIN/COMMIT ourselves
    connection.row_factory = aiosqlite.Row
    if not read_only:
        # A new file is made with incremental vacuum (only possible before its first table, and before WAL):
        # retention can then give freed pages back in small steps. An existing file keeps its mode.
        await connection.execute("PRAGMA auto_vacuum=INCREMENTAL")
        await connection.execute("PRAGMA journal_mode=WAL")
    await connection.execute("PRAGMA foreign_keys=ON")
    await connection.execute("PRAGMA busy_timeout=5000")
    await connection.execute("PRAGMA synchronous=NORMAL")
    if read_only:
        await connection.execute("PRAGMA query_only=ON")
    return connection


class SchemaTooNew(Exception):
    """The database's schema version is newer than any migration this code has."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(f"database schema version {found} is newer than this code knows ({known})")
        self.found = found
        self.known = known


async def _to_the_end(statement: Awaitable[T], on_cancel: Callable[[], Awaitable[None]] | None = None) -> T:
    """Await `statement`; if this task is cancelled meanwhile, wait for it to end anyway (its failure then
    does not matter: the cancellation is what is raised), run `on_cancel`, and raise the cancellation."""
    running = asyncio.ensure_future(statement)
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        while not running.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([running])
        if not running.cancelled():
            running.exception()  # retrieved: a failed statement after a cancel is not "never retrieved"
        if on_cancel is not None:
            await on_cancel()
        raise


class _RolledBack(Exception):
    """Ends `probe_write`'s transaction with a rollback."""


# Returning freed pages to the file system (`reclaim_space`, after retention deletes old conversations).
RECLAIM_STEP_PAGES = 2048  # pages one `PRAGMA incremental_vacuum` step gives back (8 MB of 4 KB pages)
RECLAIM_SECONDS = 10.0  # the steps of one call stop after this long; the rest waits for the next call
RECLAIM_PAUSE = 0.05  # seconds between steps: the other writers get the database in between
REWRITE_LIMIT_BYTES = 256 << 20  # a database up to this size may be rewritten once (VACUUM) to allow the steps


@dataclass(frozen=True, slots=True)
class Reclaimed:
    """What `reclaim_space` gave back."""

    pages: int  # pages the file shrank by
    page_size: int
    left: int  # free pages still inside the file (reused by new rows)
    rewritten: bool  # the one-time VACUUM that switched the file to incremental vacuum ran now
    note: str = ""  # why nothing (or not everything) was given back

    @property
    def bytes(self) -> int:
        return self.pages * self.page_size


@dataclass(frozen=True, slots=True)
class Written:
    """What one statement written on its own did."""

    rowcount: int
    lastrowid: int | None


class Database:
    """A database the repositories use: writes in `transaction()` (never interleaved), reads in `read()`.

    `Database.open(target)` opens SQLite at a path, or PostgreSQL for a `postgresql://` URL. Both hand
    the repositories a connection with aiosqlite's `execute`/`executemany` (`storage.sql.Connection`):
    SQLite's own, PostgreSQL's translated (`storage.sql.to_postgres`).
    """

    dialect: Dialect

    @classmethod
    async def open(cls, target: Path | str) -> Database:
        if is_postgres_url(target):
            from .postgres import PostgresDatabase  # asyncpg is needed only then

            return await PostgresDatabase.open(target)
        return await SqliteDatabase.open(target)

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        raise NotImplementedError

    def read(self) -> AbstractAsyncContextManager[Connection]:
        raise NotImplementedError

    async def write(self, sql: str, parameters: Iterable[Any] = (), /) -> Written:
        """One statement that needs no transaction around it (an UPDATE by id, an upsert, a conditional
        INSERT … SELECT): each statement is atomic by itself. Here: a transaction of one statement."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, parameters)
            return Written(cursor.rowcount, cursor.lastrowid)

    async def schema_version(self) -> int:
        raise NotImplementedError

    async def migrate(self) -> None:
        raise NotImplementedError

    async def probe_write(self) -> None:
        raise NotImplementedError

    async def close(self, grace: float = 5.0) -> None:
        raise NotImplementedError

    async def reclaim_space(
        self, *, may_rewrite: bool, keep_going: Callable[[], bool] = lambda: True
    ) -> Reclaimed | None:
        """Give the file system back the space deleted rows left free; None: the backend sees to it itself.

        PostgreSQL's autovacuum makes the space of deleted rows reusable on its own (only VACUUM FULL,
        which locks the tables, would shrink the files): nothing to do here.
        """
        return None


class SqliteDatabase(Database):
    """One writer connection and a few readers for the process.

    aiosqlite runs each connection's statements on its own worker thread. Writes take the lock,
    so one coroutine's transaction never interleaves with another's on the writer; reads go to a
    free reader (WAL: they see every committed write and never wait for the writer), so a turn's
    reads do not queue behind every other chat's writes.
    """

    dialect: Dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection, readers: list[aiosqlite.Connection] | None = None) -> None:
        self._conn = connection
        self._writer = OneTripConnection(connection)  # what transactions hand the repositories
        self._lock = asyncio.Lock()
        self._readers: asyncio.Queue[OneTripConnection] = asyncio.Queue()
        self._all_readers = readers or []
        for reader in self._all_readers:
            self._readers.put_nowait(OneTripConnection(reader))
        self._writes = WriteTracker()

    @classmethod
    async def open(cls, target: Path | str) -> SqliteDatabase:
        path = Path(target)
        in_memory = str(path) == ":memory:"
        if not in_memory:
            path.parent.mkdir(parents=True, exist_ok=True)
        connection = await _connect(path)
        database = cls(connection)
        try:
            await database.migrate()
            if not in_memory:  # a private in-memory database cannot be shared: reads use the writer
                for _ in range(READERS):
                    reader = await _connect(path, read_only=True)
                    database._all_readers.append(reader)
                    database._readers.put_nowait(OneTripConnection(reader))
        except BaseException:
            await database._close_all()
            raise
        return database

    async def close(self, grace: float = 5.0) -> None:
        """Close once the writes already under way (a shielded answer being stored, say) have finished."""
        await self._writes.idle(grace)
        await self._close_all()

    async def _close_all(self) -> None:
        for reader in self._all_readers:
            await reader.close()
        await self._conn.close()

    async def schema_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        """Apply the numbered migrations newer than `PRAGMA user_version`, each in its own transaction.

        A database written by a newer version is refused before anything is changed: this code cannot
        know what the newer migrations did, and writing to it could corrupt it for the version that can.
        """
        current = await self.schema_version()
        if current > len(MIGRATIONS):
            raise SchemaTooNew(current, len(MIGRATIONS))
        for version, statements in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            async with self.transaction() as conn:
                for statement in statements:
                    sql = sqlite_statement(statement)
                    if sql is not None:
                        await conn.execute(sql)
                await conn.execute(f"PRAGMA user_version = {version}")

    async def probe_write(self) -> None:
        """A tiny write, always rolled back: raises sqlite3.Error when the database cannot be written now.

        A real write, not just BEGIN: read-only files, disks and connections only fail at the write itself.
        """
        with contextlib.suppress(_RolledBack):
            async with self.transaction() as conn:
                await conn.execute("INSERT OR REPLACE INTO bot_state (key, value) VALUES ('health_probe', '')")
                raise _RolledBack

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[OneTripConnection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error (cancellation included)."""
        async with self._writes.write(), self._lock:
            # BEGIN and COMMIT run to their end even when the task is cancelled meanwhile: aiosqlite
            # runs a statement it was given whatever happens to the caller, so what the connection
            # is in is only known once it has (a ROLLBACK sent behind a COMMIT still under way
            # failed with "no transaction is active"; a BEGIN left behind blocked the next one).
            await _to_the_end(self._conn.execute("BEGIN IMMEDIATE"), self._abandon)
            try:
                yield self._writer
                await _to_the_end(self._conn.execute("COMMIT"))
            except BaseException:
                # also when COMMIT itself fails (SQLITE_BUSY): never leave the connection in a transaction
                await self._abandon()
                raise

    async def write(self, sql: str, parameters: Iterable[Any] = (), /) -> Written:
        """One statement in autocommit, no BEGIN/COMMIT around it: one trip to aiosqlite's thread, not three.

        SQLite makes a statement outside BEGIN a transaction of its own (all or nothing); the write lock
        keeps it from landing inside another coroutine's transaction."""
        async with self._writes.write(), self._lock:
            if self._conn.in_transaction:  # never: transaction() ends every one it begins
                await self._abandon()
            # to its end when cancelled, as BEGIN and COMMIT: a read after this must find it done
            cursor = await _to_the_end(self._conn.execute(sql, parameters))
            return Written(cursor.rowcount, cursor.lastrowid)

    async def _abandon(self) -> None:
        """ROLLBACK if the writer is in a transaction, to its end."""
        if self._conn.in_transaction:
            await _to_the_end(self._conn.execute("ROLLBACK"))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[OneTripConnection]:
        """A reader connection (it sees only committed data, never a transaction half done)."""
        if not self._all_readers:
            async with self._lock:
                yield self._writer
            return
        # Read after write: a write that started before this read (and may have been caused by what
        # brought this read about: a message sent, then its id stored) is seen; later writes do not wait.
        await self._writes.wait_for_earlier()
        reader = await self._readers.get()
        try:
            yield reader
        finally:
            self._readers.put_nowait(reader)

    @asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[aiosqlite.Connection]:
        """The writer with no transaction open, under the write lock: for what SQLite runs only outside one
        (VACUUM) or steps to its end only alone (`PRAGMA incremental_vacuum` through `executescript`)."""
        async with self._writes.write(), self._lock:
            yield self._conn

    async def _pragma(self, conn: aiosqlite.Connection, name: str) -> int:
        async with conn.execute(f"PRAGMA {name}") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def reclaim_space(self, *, may_rewrite: bool, keep_going: Callable[[], bool] = lambda: True) -> Reclaimed:
        """Free pages back to the file system, in bounded steps; the file shrinks by what they held.

        SQLite keeps the pages of deleted rows inside the file for reuse. With `auto_vacuum=INCREMENTAL`,
        `PRAGMA incremental_vacuum(N)` moves N of them to the end and truncates: cheap, and bounded by N,
        so it runs in steps of RECLAIM_STEP_PAGES with the other writers in between, for at most
        RECLAIM_SECONDS a call. A plain VACUUM instead rewrites the whole file while every write waits,
        and needs as much free disk again: not something to do daily. But auto_vacuum can only be
        switched on an empty database or by one VACUUM, so a database made before this (or by an older
        SQLite default) is rewritten once — only when `may_rewrite` (a quiet moment, the caller says) and
        only up to REWRITE_LIMIT_BYTES (a few seconds); a bigger one keeps its free pages for new rows
        and the note says how to switch it while the bot is stopped. `keep_going()` is asked before each
        step (False: the process is stopping).
        """
        async with self._exclusive() as conn:
            mode = await self._pragma(conn, "auto_vacuum")
            page_size = await self._pragma(conn, "page_size")
            pages_before = await self._pragma(conn, "page_count")
            free = await self._pragma(conn, "freelist_count")
        if mode != 2:  # 0 none, 1 full (the file shrinks at every commit already), 2 incremental
            if mode == 1 or not free:
                return Reclaimed(0, page_size, free, False)
            if pages_before * page_size > REWRITE_LIMIT_BYTES:
                note = (
                    f"the database is {pages_before * page_size >> 20} MB, too big to rewrite while the bot runs; "
                    "its free pages are reused for new rows. To make it shrink from now on, stop the bot and run: "
                    "sqlite3 DATABASE_PATH 'PRAGMA auto_vacuum=INCREMENTAL; VACUUM;'"
                )
                return Reclaimed(0, page_size, free, False, note)
            if not may_rewrite or not keep_going():
                return Reclaimed(0, page_size, free, False, "not quiet enough for the one-time rewrite; next time")
            async with self._exclusive() as conn:
                await conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
                await conn.execute("VACUUM")  # rewrites the file: auto_vacuum applies from now on, no free page left
            await self._checkpoint()
            async with self._exclusive() as conn:
                pages_after = await self._pragma(conn, "page_count")
                left = await self._pragma(conn, "freelist_count")
            return Reclaimed(max(pages_before - pages_after, 0), page_size, left, True)
        deadline = time.monotonic() + RECLAIM_SECONDS
        given = 0
        while free and time.monotonic() < deadline and keep_going():
            async with self._exclusive() as conn:
                # executescript steps the pragma to its end (execute() would free a single page)
                await conn.executescript(f"PRAGMA incremental_vacuum({min(free, RECLAIM_STEP_PAGES)});")
                now_free = await self._pragma(conn, "freelist_count")
            given += free - now_free
            if now_free >= free:
                break
            free = now_free
            await asyncio.sleep(RECLAIM_PAUSE)
        if given:
            await self._checkpoint()
        note = "" if not free else f"{free} free pages left for the next time (the time budget ran out)"
        return Reclaimed(given, page_size, free, False, note)

    async def _checkpoint(self) -> None:
        """Copy the WAL into the file (which truncates it to its new size), then empty the WAL if no reader
        holds it; a reader that does is waited for briefly, never for the usual busy timeout."""
        async with self._exclusive() as conn:
            await (await conn.execute("PRAGMA wal_checkpoint(PASSIVE)")).fetchall()
            await conn.execute("PRAGMA busy_timeout=200")
            try:
                await (await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")).fetchall()
            finally:
                await conn.execute("PRAGMA busy_timeout=5000")
