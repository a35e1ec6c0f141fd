"""The README's settings table and .env.example say what `Settings` does: the same names and defaults."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
UNSET = {"", "None", "[]"}


def readme_table() -> dict[str, str]:
    """variable → the default column, from the README's configuration table."""
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| ([^|]+) \|", (ROOT / "README.md").read_text(), re.MULTILINE)
    return {name: default.strip() for name, default in rows}


def env_example() -> dict[str, str]:
    """variable → the value in .env.example (commented-out lines show the default)."""
    text = (ROOT / ".env.example").read_text()
    return dict(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=(.*)$", text, re.MULTILINE))


def default_of(name: str) -> str:
    field = Settings.model_fields[name.lower()]
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if (
        isinstance(value, float)
        and value.is_integer()
        and name not in ("STREAM_INTERVAL_PRIVATE", "STREAM_INTERVAL_GROUP")
    ):
        return str(int(value))
    return str(value)


SETTINGS = sorted(name.upper() for name in Settings.model_fields)


def test_every_setting_is_in_the_readme_table_and_nothing_else() -> None:
    assert sorted(readme_table()) == SETTINGS


def test_every_setting_is_in_env_example_and_nothing_else() -> None:
    assert sorted(env_example()) == SETTINGS


def test_the_readme_gives_each_settings_real_default() -> None:
    for name, shown in readme_table().items():
        default = default_of(name)
        if default in UNSET or default.startswith("AccessList("):
            assert shown.startswith(("unset", "empty", "derived")), (name, shown)
        else:
            assert shown.strip("`") == default, (name, shown, default)


def test_env_example_shows_defaults_for_the_optional_settings() -> None:
    examples = env_example()
    for name in SETTINGS:
        default = default_of(name)
        if default in UNSET or default == "required" or default.startswith("AccessList("):
            continue  # required ones hold placeholders; unset ones an example value
        assert examples[name] == default, (name, examples[name], default)
