"""Heavy libraries load only when their feature is used, so an idle bot stays small (benchmarks/README.md)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("numpy", "matplotlib", "pypdf", "docx", "lxml", "charset_normalizer")


def test_starting_the_bot_loads_none_of_the_heavy_libraries() -> None:
    probe = f"import sys, bot.app, bot.__main__; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
