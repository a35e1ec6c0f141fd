"""The attack suite runs on one xdist worker, one test after another: each drives a whole bot (or kills
one) for up to a minute, and their deadlines are for a machine not also running the others."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.xdist_group("attacks"))
