"""The one-way layers of docs/architecture.md that a grep can check: handlers and render never import the
gateway client (`bot.wenwen`); what they need of it comes through `bot.core`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", ["bot/handlers", "bot/render"])
def test_handlers_and_render_do_not_import_the_gateway_client(package: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in _imports(path)
        if name == "bot.wenwen" or name.startswith("bot.wenwen.")
    ]
    assert found == [], "import it through bot.core (e.g. bot.core.errors, bot.core.sizes) instead"
