"""What the repositories need of a database, whichever backend holds it, and the SQL dialect layer.

The repositories are written once, in SQLite's SQL, against `storage.db.Database` and `Connection`
below. The SQLite backend (`storage.db.SqliteDatabase`) hands them aiosqlite's connection, wrapped only so
that `async with conn.execute(...) as cursor` reads its rows in one trip to aiosqlite's thread instead of
three (execute, fetch, close; `storage.sqlite_conn`); nothing is translated. The PostgreSQL backend
(`storage.postgres.PostgresDatabase`) hands them a wrapper that translates each statement once
(cached) with `to_postgres`: `?` placeholders become `$n`, `INSERT OR IGNORE/REPLACE` become
`ON CONFLICT`, `LIKE` becomes `ILIKE` (SQLite's LIKE ignores ASCII case), and an INSERT into a table
with an identity `id` returns it (`lastrowid`).

Migrations are one list (`storage.migrations`): a plain statement runs on both backends (its DDL types
mapped by `postgres_ddl`), and `Variant(sqlite=..., postgres=...)` gives a statement whose dialects differ
(None: nothing to run on that backend).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgres"]


def is_postgres_url(target: object) -> bool:
    """A `DATABASE_URL` for the PostgreSQL backend (anything else is a SQLite path)."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


class Cursor(Protocol):
    """What a statement's result offers: aiosqlite's cursor has it, and so does the PostgreSQL wrapper's."""

    @property
    def lastrowid(self) -> int | None: ...

    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Iterable[Any]: ...


class FetchedCursor:
    """A statement's outcome, shaped like aiosqlite's cursor, its rows read at once (the repositories' are small)."""

    __slots__ = ("_at", "_rows", "lastrowid", "rowcount")

    def __init__(self, rows: Sequence[Any], rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self._at = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    async def fetchone(self) -> Any:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    async def fetchall(self) -> list[Any]:
        rest = list(self._rows[self._at :])
        self._at = len(self._rows)
        return rest

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        while (row := await self.fetchone()) is not None:
            yield row

    async def close(self) -> None:
        return None


class CursorResult(Protocol):
    """`await conn.execute(...)` or `async with conn.execute(...) as cursor`."""

    def __await__(self) -> Generator[Any, None, Any]: ...

    async def __aenter__(self) -> Cursor: ...

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any, /) -> Any: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Iterable[Any] | None = None, /) -> CursorResult: ...

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]], /) -> Awaitable[Any]: ...


# ---------------------------------------------------------------------------------- migrations


@dataclass(frozen=True, slots=True)
class Variant:
    """One migration statement whose SQLite and PostgreSQL forms differ; None: skipped on that backend."""

    sqlite: str | None
    postgres: str | None


Statement = str | Variant


def sqlite_statement(statement: Statement) -> str | None:
    return statement.sqlite if isinstance(statement, Variant) else statement


def postgres_statement(statement: Statement) -> str | None:
    if isinstance(statement, Variant):
        return statement.postgres
    return postgres_ddl(statement)


_DDL = re.compile(r"^\s*(CREATE\s+TABLE|ALTER\s+TABLE)\b", re.IGNORECASE)
_ID_KEY = re.compile(r"\bid\s+INTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?", re.IGNORECASE)
# SQLite's type names as the migrations write them: upper case (a column named `blob` stays a name)
_TYPES = [
    (re.compile(r"\bINTEGER\b"), "BIGINT"),  # Telegram ids pass 2**31
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),  # unix times with fractions
    (re.compile(r"\bBLOB\b"), "BYTEA"),
]


def postgres_ddl(statement: str) -> str:
    """A SQLite CREATE/ALTER TABLE in PostgreSQL's types; other statements (indexes, copies) run as written.

    `id INTEGER PRIMARY KEY` (SQLite's rowid) becomes an identity column that also takes explicit ids
    (the SQLite import copies them); INTEGER is 64-bit as in SQLite, REAL double precision.
    """
    if not _DDL.match(statement):
        return statement
    statement = _ID_KEY.sub("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", statement)
    for pattern, replacement in _TYPES:
        statement = pattern.sub(replacement, statement)
    return statement


# ---------------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Translated:
    sql: str
    returns_rows: bool  # fetch (SELECT, RETURNING) rather than execute
    returns_id: bool  # RETURNING id was added: lastrowid is the first row's id


_INSERT_OR = re.compile(r"^(\s*)INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE)
_INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)
_LIKE = re.compile(r"\bLIKE\b")
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_ROWS_FIRST = re.compile(r"^\s*(SELECT|WITH|VALUES|SHOW|EXPLAIN)\b", re.IGNORECASE)


def _placeholders(sql: str) -> str:
    """`?` → `$1`, `$2`, … outside quoted strings and identifiers."""
    out: list[str] = []
    number = 0
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "?":
            number += 1
            out.append(f"${number}")
            continue
        out.append(char)
    return "".join(out)


def to_postgres(sql: str, id_tables: frozenset[str], primary_keys: Callable[[str], tuple[str, ...]]) -> Translated:
    """One statement of the repositories' SQLite SQL in PostgreSQL's.

    `id_tables`: tables with an identity `id` (an INSERT into one returns it); `primary_keys(table)`: the
    conflict target of an `INSERT OR REPLACE` into it.
    """
    suffix = ""
    match = _INSERT_OR.match(sql)
    if match:
        indent, mode, table, columns = match.groups()
        sql = f"{indent}INSERT INTO {table} ({columns})" + sql[match.end() :]
        if mode.upper() == "IGNORE":
            suffix = " ON CONFLICT DO NOTHING"
        else:
            keys = primary_keys(table)
            names = [name.strip() for name in columns.split(",")]
            updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names if name not in keys)
            target = ", ".join(keys)
            suffix = f" ON CONFLICT ({target}) " + (f"DO UPDATE SET {updates}" if updates else "DO NOTHING")
    sql = _LIKE.sub("ILIKE", sql)
    returns_id = False
    inserted = _INSERT_INTO.match(sql)
    if inserted and inserted.group(1).lower() in id_tables and not _RETURNING.search(sql):
        suffix += " RETURNING id"
        returns_id = True
    sql = _placeholders(sql.rstrip().rstrip(";")) + suffix
    returns_rows = bool(_ROWS_FIRST.match(sql) or _RETURNING.search(sql))
    return Translated(sql, returns_rows, returns_id)
