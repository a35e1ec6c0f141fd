"""Every row of every table that holds a value: to prove that /forget left nothing of a user behind.

The tables are found generically (SQLite's `sqlite_master`, PostgreSQL's `information_schema`), so a
table added later is searched too. A value is found as an integer column equal to it, or as the number
inside a text column (JSON, a key); binary columns (vectors, the full-text index's pages) are not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from storage import Database


@dataclass(frozen=True, slots=True)
class Found:
    table: str
    column: str
    row: tuple[Any, ...]


async def table_names(db: Database) -> list[str]:
    if db.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    else:
        sql = (
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    async with db.read() as conn, conn.execute(sql) as cursor:
        return [str(row[0]) for row in await cursor.fetchall()]


async def rows_with(db: Database, value: int, *, skip: frozenset[str] = frozenset()) -> list[Found]:
    """Every (table, column, row) where `value` appears; tables in `skip` are not searched."""
    number = re.compile(rf"(?<![0-9]){value}(?![0-9])")
    found: list[Found] = []
    for table in await table_names(db):
        if table in skip:
            continue
        async with db.read() as conn, conn.execute(f'SELECT * FROM "{table}"') as cursor:
            rows = list(await cursor.fetchall())
        for row in rows:
            values = tuple(row)
            columns = list(row.keys())  # sqlite3.Row and asyncpg's Record both name their columns
            for column, cell in zip(columns, values, strict=True):
                if isinstance(cell, bool):
                    continue
                if (isinstance(cell, int) and cell == value) or (isinstance(cell, str) and number.search(cell)):
                    found.append(Found(table, str(column), values))
    return found
