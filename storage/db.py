"""The database the repositories use (`Database`), and its SQLite backend: WAL, foreign keys, migrations,
and transactions that never interleave. The PostgreSQL backend is `storage.postgres` (`DATABASE_URL`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from .migrations import MIGRATIONS
from .sql import Connection, Dialect, is_postgres_url, sqlite_statement

READERS = 3  # read-only connections beside the one writer (WAL lets them read while it writes)


async def _connect(path: Path | str, *, read_only: bool = False) -> aiosqlite.Connection:
    connection = await aiosqlite.connect(path, isolation_level=None)  # we issue BEGIN/COMMIT ourselves
    connection.row_factory = aiosqlite.Row
    if not read_only:
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


async def _to_the_end(
    statement: Awaitable[Any], on_cancel: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Await `statement`; if this task is cancelled meanwhile, wait for it to end anyway (its failure then
    does not matter: the cancellation is what is raised), run `on_cancel`, and raise the cancellation."""
    running = asyncio.ensure_future(statement)
    try:
        await asyncio.shield(running)
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

    async def schema_version(self) -> int:
        raise NotImplementedError

    async def migrate(self) -> None:
        raise NotImplementedError

    async def probe_write(self) -> None:
        raise NotImplementedError

    async def close(self, grace: float = 5.0) -> None:
        raise NotImplementedError


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
        self._lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers = readers or []
        for reader in self._all_readers:
            self._readers.put_nowait(reader)
        self._writes = 0  # transactions started or waiting (close() lets them finish)
        # one per write started and not yet done, with the task that runs it
        self._in_flight: dict[asyncio.Future[None], asyncio.Task[Any] | None] = {}
        self._idle = asyncio.Event()
        self._idle.set()

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
                    database._readers.put_nowait(reader)
        except BaseException:
            await database._close_all()
            raise
        return database

    async def close(self, grace: float = 5.0) -> None:
        """Close once the writes already under way (a shielded answer being stored, say) have finished."""
        await asyncio.sleep(0)  # a write just scheduled (asyncio.shield) gets to start and be counted
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)
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
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error (cancellation included)."""
        self._writes += 1
        self._idle.clear()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._in_flight[done] = asyncio.current_task()
        try:
            async with self._lock:
                # BEGIN and COMMIT run to their end even when the task is cancelled meanwhile: aiosqlite
                # runs a statement it was given whatever happens to the caller, so what the connection
                # is in is only known once it has (a ROLLBACK sent behind a COMMIT still under way
                # failed with "no transaction is active"; a BEGIN left behind blocked the next one).
                await _to_the_end(self._conn.execute("BEGIN IMMEDIATE"), self._abandon)
                try:
                    yield self._conn
                    await _to_the_end(self._conn.execute("COMMIT"))
                except BaseException:
                    # also when COMMIT itself fails (SQLITE_BUSY): never leave the connection in a transaction
                    await self._abandon()
                    raise
        finally:
            self._writes -= 1
            self._in_flight.pop(done, None)
            done.set_result(None)
            if not self._writes:
                self._idle.set()

    async def _abandon(self) -> None:
        """ROLLBACK if the writer is in a transaction, to its end."""
        if self._conn.in_transaction:
            await _to_the_end(self._conn.execute("ROLLBACK"))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A reader connection (it sees only committed data, never a transaction half done)."""
        if not self._all_readers:
            async with self._lock:
                yield self._conn
            return
        # Read after write: a write that started before this read (and may have been caused by what
        # brought this read about: a message sent, then its id stored) is seen; later writes do not wait.
        me = asyncio.current_task()
        earlier = [done for done, task in self._in_flight.items() if task is not me]  # never wait for oneself
        if earlier:
            await asyncio.wait(earlier)
        reader = await self._readers.get()
        try:
            yield reader
        finally:
            self._readers.put_nowait(reader)
