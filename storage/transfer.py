"""Copying a SQLite database into PostgreSQL (`wenwen-bot migrate-sqlite-to-postgres SQLITE_PATH`).

Both are first brought to this code's schema (the same migrations a start of the bot runs), then every
table PostgreSQL has is copied with the columns both sides have, parents before the tables that point
at them, in rowid order, 1000 rows per transaction. A row whose key is already there is left as it is
(`ON CONFLICT DO NOTHING`), so a second run copies nothing twice; an interrupted run is finished by
running it again. Identity sequences are moved past the copied ids, so new rows never collide.

A PostgreSQL database that holds rows from anything but an earlier run of this copy is refused: merging
two bots' histories would mix up their ids. The SQLite file is only read (besides its migrations).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .db import SqliteDatabase
from .postgres import VERSION_TABLE, PostgresDatabase

PAGE = 1000
MARKER = "imported_from_sqlite"  # bot_state key: this database was filled by the copy (a rerun may go on)


class TransferError(Exception):
    """The copy cannot be made; the message is one line for the owner."""


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    source: int  # rows in SQLite
    copied: int  # rows this run added to PostgreSQL
    target: int  # rows in PostgreSQL afterwards


def _existing(path: Path) -> str:
    """The file's full path; a typo must not leave an empty database behind (opening would create one)."""
    if not path.is_file():
        raise TransferError(f"no SQLite database at {path}")
    return str(path.resolve())


@contextlib.asynccontextmanager
async def _opened(sqlite_path: Path, url: str) -> AsyncIterator[tuple[SqliteDatabase, PostgresDatabase]]:
    source = await SqliteDatabase.open(sqlite_path)
    try:
        target = await PostgresDatabase.open(url)
        try:
            yield source, target
        finally:
            await target.close()
    finally:
        await source.close()


async def copy_sqlite_to_postgres(sqlite_path: Path, url: str) -> list[TableCount]:
    where = _existing(sqlite_path)
    async with _opened(sqlite_path, url) as (source, target):
        tables = await _tables_in_order(target)
        sqlite_tables = await _sqlite_tables(source)
        await _refuse_foreign_rows(target, tables)
        async with target.transaction() as conn:
            await conn.execute(
                "INSERT INTO bot_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (MARKER, where),
            )
        counts = []
        for table in tables:
            if table not in sqlite_tables:
                continue
            counts.append(await _copy_table(source, target, table, sqlite_tables[table]))
        await _move_sequences(target)
        return counts


async def _sqlite_tables(source: SqliteDatabase) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    async with source.read() as conn:
        async with conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ) as cursor:
            names = [str(row[0]) for row in await cursor.fetchall()]
        for name in names:
            async with conn.execute(f'PRAGMA table_info("{name}")') as cursor:
                found[name] = [str(row[1]) for row in await cursor.fetchall()]
    return found


async def _tables_in_order(target: PostgresDatabase) -> list[str]:
    """PostgreSQL's tables, each after the tables its foreign keys point at."""
    async with target.read() as conn:
        async with conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE' ORDER BY table_name"
        ) as cursor:
            tables = [str(row[0]) for row in await cursor.fetchall() if row[0] != VERSION_TABLE]
        async with conn.execute(
            "SELECT tc.table_name, ccu.table_name FROM information_schema.table_constraints tc "
            "JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name "
            "AND ccu.table_schema = tc.table_schema "
            "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()"
        ) as cursor:
            edges = [(str(row[0]), str(row[1])) for row in await cursor.fetchall()]
    parents: dict[str, set[str]] = {table: set() for table in tables}
    for child, parent in edges:
        if child != parent and child in parents and parent in parents:
            parents[child].add(parent)
    ordered: list[str] = []
    while parents:
        ready = sorted(table for table, needs in parents.items() if not needs - set(ordered))
        if not ready:  # a cycle: no order satisfies it, copy the rest as they come
            ready = sorted(parents)
        for table in ready:
            ordered.append(table)
            del parents[table]
    return ordered


async def _refuse_foreign_rows(target: PostgresDatabase, tables: list[str]) -> None:
    async with target.read() as conn:
        async with conn.execute("SELECT 1 FROM bot_state WHERE key = ?", (MARKER,)) as cursor:
            if await cursor.fetchone() is not None:
                return  # an earlier run of this copy: it goes on
        for table in tables:
            async with conn.execute(f"SELECT 1 FROM {table} LIMIT 1") as cursor:
                if await cursor.fetchone() is not None:
                    raise TransferError(
                        f"the PostgreSQL database is not empty (table {table} has rows): "
                        "the copy goes only into an empty one"
                    )


async def _column_types(target: PostgresDatabase, table: str) -> dict[str, str]:
    async with target.read() as conn:
        async with conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        ) as cursor:
            return {str(row[0]): str(row[1]) for row in await cursor.fetchall()}


def _coerce(data_type: str) -> Callable[[Any], Any]:
    """SQLite keeps whatever a column was given; PostgreSQL takes only its own type."""

    def to_int(value: Any) -> Any:
        return int(value) if isinstance(value, (float, str)) else value

    def to_float(value: Any) -> Any:
        return float(value) if isinstance(value, (int, str)) else value

    def to_text(value: Any) -> Any:
        if isinstance(value, bytes):
            return value.decode("utf-8", errors="replace")
        return value if value is None or isinstance(value, str) else str(value)

    def to_bytes(value: Any) -> Any:
        return value.encode() if isinstance(value, str) else value

    if data_type in ("bigint", "integer", "smallint"):
        return to_int
    if data_type in ("double precision", "real", "numeric"):
        return to_float
    if data_type == "bytea":
        return to_bytes
    return to_text


async def _count(target: PostgresDatabase, table: str) -> int:
    async with target.read() as conn:
        async with conn.execute(f"SELECT COUNT(*) FROM {table}") as cursor:
            row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _copy_table(
    source: SqliteDatabase, target: PostgresDatabase, table: str, sqlite_columns: list[str]
) -> TableCount:
    types = await _column_types(target, table)
    columns = [name for name in sqlite_columns if name in types]
    coerce = [_coerce(types[name]) for name in columns]
    names = ", ".join(columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))}) ON CONFLICT DO NOTHING"
    before = await _count(target, table)
    total = 0
    last: int | None = None  # rowids may be negative (a group's chat id is the access table's rowid)
    while True:
        where = "" if last is None else "WHERE rowid > ? "
        async with source.read() as conn:
            async with conn.execute(
                f"SELECT rowid, {names} FROM {table} {where}ORDER BY rowid LIMIT ?",
                (PAGE,) if last is None else (last, PAGE),
            ) as cursor:
                rows = list(await cursor.fetchall())
        if not rows:
            break
        last = int(rows[-1][0])
        total += len(rows)
        values = [tuple(fix(value) for fix, value in zip(coerce, tuple(row)[1:], strict=True)) for row in rows]
        async with target.transaction() as conn:
            await conn.executemany(insert, values)
    after = await _count(target, table)
    return TableCount(table, total, after - before, after)


async def _move_sequences(target: PostgresDatabase) -> None:
    """Each identity column's next value past the largest id copied."""
    async with target.read() as conn:
        async with conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND column_name = 'id' AND is_identity = 'YES' ORDER BY table_name"
        ) as cursor:
            tables = [str(row[0]) for row in await cursor.fetchall()]
    async with target.transaction() as conn:
        for table in tables:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1), (SELECT COUNT(*) > 0 FROM {table}))"
            )
