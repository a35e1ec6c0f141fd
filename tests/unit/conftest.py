"""Fixtures of the unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Storage


@pytest.fixture
async def store(target: Path | str) -> AsyncIterator[Storage]:
    """Storage opened on each backend in turn (`target`, tests/conftest.py).

    A module that wants SQLite alone defines a `store` fixture of its own."""
    opened = await Storage.open(target)
    yield opened
    await opened.close()
