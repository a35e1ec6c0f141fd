"""Fixtures of the unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Storage
from tests.postgres import BACKENDS, fresh_schema


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """Storage on each backend in turn: SQLite in a fresh folder, PostgreSQL in a fresh schema (tests/postgres.py).

    A module that wants SQLite alone defines a `store` fixture of its own."""
    if request.param == "sqlite":
        opened = await Storage.open(tmp_path / "db" / "bot.sqlite3")
        yield opened
        await opened.close()
        return
    async with fresh_schema(request.getfixturevalue("postgres_admin_url")) as url:
        opened = await Storage.open(url)
        yield opened
        await opened.close()
