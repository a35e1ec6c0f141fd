"""bot/render/charts.py: the /stats PNG, drawn with matplotlib's object API only."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import warnings
from datetime import date, timedelta
from io import BytesIO

import pytest
from PIL import Image

from bot.render.charts import (
    DayUsage,
    UserUsage,
    _filled,
    _font_families,
    _short,
    usage_chart,
    usage_chart_async,
)

LABELS = {"requests": "Requests", "tokens": "Tokens", "top_users": "Top users", "empty": "No usage yet"}


def days_back(n: int, *, requests: int = 10, tokens: int = 5_000, end: date = date(2025, 3, 31)) -> list[DayUsage]:
    return [DayUsage((end - timedelta(days=i)).isoformat(), requests + i, tokens * (i + 1)) for i in range(n)][::-1]


def open_png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(BytesIO(data))
    image.verify()  # a complete, uncorrupted file
    return Image.open(BytesIO(data))


def test_a_png_of_a_sensible_size() -> None:
    users = [UserUsage("1001", 40, 120_000), UserUsage("alice", 12, 9_000)]
    image = open_png(usage_chart(days_back(7), users, "Usage, last 30 days", LABELS))
    assert image.format == "PNG" and image.size == (1000, 800)
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # something was drawn, not a blank canvas


def test_empty_inputs_still_give_an_image() -> None:
    image = open_png(usage_chart([], [], "Usage", {}))  # English defaults for missing labels
    assert image.size == (1000, 800)


def test_only_one_half_empty() -> None:
    open_png(usage_chart(days_back(3), [], "Usage", LABELS))
    open_png(usage_chart([], [UserUsage("1001", 1, 1)], "Usage", LABELS))


def test_thirty_days_of_large_numbers_and_many_users() -> None:
    days = days_back(45, requests=250_000, tokens=3_000_000_000)
    days = [DayUsage(d.day, d.requests, d.tokens, images=d.requests // 10) for d in days]
    users = [UserUsage(str(10**12 + i), 10**6 - i, 10**10 * (i + 1)) for i in range(25)]
    image = open_png(usage_chart(days, users, "Usage", LABELS))
    assert image.size == (1000, 800)


def test_gaps_are_filled_and_only_the_last_30_days_kept() -> None:
    sparse = [DayUsage("2025-03-01", 1, 10), DayUsage("2025-03-04", 2, 20)]
    filled = _filled(sparse)
    assert [d.day for d in filled] == ["2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04"]
    assert [d.requests for d in filled] == [1, 0, 0, 2]
    long = _filled(days_back(45))
    assert len(long) == 30 and long[-1].day == "2025-03-31"
    assert _filled([DayUsage("Mon", 1, 1), DayUsage("Tue", 2, 2)])[0].day == "Mon"  # not ISO: as given


def test_short_numbers() -> None:
    assert [_short(v) for v in (0, 999, 1_000, 1_234, 2_500_000, 3_000_000_000)] == [
        "0",
        "999",
        "1k",
        "1.2k",
        "2.5M",
        "3B",
    ]


def test_chinese_labels_render_without_warnings(caplog: pytest.LogCaptureFixture) -> None:
    labels = {"requests": "请求", "tokens": "令牌", "top_users": "最活跃的用户", "empty": "暂无用量"}
    users = [UserUsage("张三", 30, 90_000), UserUsage("一个名字非常非常非常非常非常非常长的用户", 3, 100)]
    caplog.set_level(logging.DEBUG, logger="matplotlib")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = usage_chart(days_back(30), users, "近 30 天用量", labels)
    open_png(data)
    assert [str(w.message) for w in caught] == []  # no "Glyph … missing from font(s)" even without CJK fonts
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_no_pyplot() -> None:
    usage_chart(days_back(2), [UserUsage("1", 1, 1)], "t", LABELS)
    assert "matplotlib.pyplot" not in sys.modules


def test_matplotlib_is_imported_lazily_and_never_pyplot() -> None:
    """Importing the module (as the bot does at start-up) loads no matplotlib; drawing loads no pyplot."""
    code = (
        "import sys, bot.render.charts as c; assert 'matplotlib' not in sys.modules, 'loaded at import'; "
        "c.usage_chart([c.DayUsage('2025-01-01', 1, 1)], [], 't', {}); "
        "assert 'matplotlib' in sys.modules and 'matplotlib.pyplot' not in sys.modules, 'pyplot'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_cjk_font_is_preferred_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import font_manager

    fake = font_manager.FontEntry(fname="/nonexistent/wqy-zenhei.ttc", name="WenQuanYi Zen Hei")
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [*font_manager.fontManager.ttflist, fake])
    _font_families.cache_clear()
    try:
        assert _font_families() == ("WenQuanYi Zen Hei", "DejaVu Sans")  # CJK first, DejaVu for the rest
    finally:
        _font_families.cache_clear()


async def test_async_wrapper_runs_off_the_loop() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    try:
        results = await asyncio.gather(*(usage_chart_async(days_back(30), [], "t", LABELS) for _ in range(2)))
    finally:
        task.cancel()
    assert all(open_png(r).size == (1000, 800) for r in results)
    assert ticks > 2  # the loop kept running while the charts were drawn
