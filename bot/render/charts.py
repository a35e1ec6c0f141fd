"""The owner's /stats chart: requests and tokens per day, and the top users, as one PNG.

matplotlib is imported on first use (start-up stays fast) and driven through `Figure` only:
pyplot keeps global figure state, which a long-running multi-user process must not have.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from io import BytesIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MAX_DAYS = 30
MAX_USERS = 10
SIZE = (10.0, 8.0)  # inches at 100 dpi: 1000 x 800 px, inside Telegram's photo limits
# the first one installed draws CJK labels (DejaVu Sans has no CJK glyphs)
_CJK_FONTS = tuple(
    "Noto Sans CJK SC|Noto Sans CJK JP|Noto Sans SC|Source Han Sans SC|WenQuanYi Zen Hei|WenQuanYi Micro Hei|"
    "Droid Sans Fallback|Microsoft YaHei|SimHei|Arial Unicode MS".split("|")
)
_DEFAULT_LABELS = {
    "requests": "Requests",
    "tokens": "Tokens",
    "images": "Images",
    "top_users": "Top users",
    "empty": "No usage yet",
}
# matplotlib is not thread-safe (font cache, rcParams): one chart at a time
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class DayUsage:
    day: str  # ISO date, "2025-01-31"
    requests: int
    tokens: int
    images: int = 0


@dataclass(frozen=True, slots=True)
class UserUsage:
    label: str  # a name, or the user id as text
    requests: int
    tokens: int


@cache
def _font_families() -> tuple[str, ...]:
    """A CJK-capable font if one is installed, DejaVu Sans (bundled with matplotlib) for the rest."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    cjk = next((name for name in _CJK_FONTS if name in installed), None)
    return (cjk, "DejaVu Sans") if cjk else ("DejaVu Sans",)


def _short(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}"


def _filled(days: list[DayUsage]) -> list[DayUsage]:
    """The last MAX_DAYS days, with the days nobody used the bot as zeros (ISO dates only)."""
    try:
        known = {date.fromisoformat(d.day): d for d in days}
    except ValueError:
        return days[-MAX_DAYS:]
    if not known:
        return []
    last = max(known)
    span = [last - timedelta(days=n) for n in range(MAX_DAYS - 1, -1, -1)]
    return [known.get(day, DayUsage(day.isoformat(), 0, 0)) for day in span if day >= min(known)]


def _empty(ax: Axes, text: dict[str, str]) -> None:
    ax.text(0.5, 0.5, text["empty"], ha="center", va="center", transform=ax.transAxes, fontsize=14)
    ax.set_axis_off()


def _draw_days(ax: Axes, days: list[DayUsage], text: dict[str, str]) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if not days:
        return _empty(ax, text)
    x = range(len(days))
    ax.bar(x, [d.requests for d in days], color="#4c78a8", label=text["requests"])
    if any(d.images for d in days):
        ax.bar(x, [d.images for d in days], width=0.4, color="#f58518", label=text["images"])
    ax.set_ylabel(text["requests"])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _short(v)))
    ax.set_xticks(list(x), [d.day[5:] if len(d.day) == 10 else d.day for d in days], rotation=60, fontsize=8)
    tokens = ax.twinx()  # tokens are orders of magnitude above requests: their own axis
    tokens.plot(x, [d.tokens for d in days], color="#e45756", marker="o", markersize=3, label=text["tokens"])
    tokens.set_ylabel(text["tokens"])
    tokens.set_ylim(bottom=0)
    tokens.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _short(v)))
    handles, names = ax.get_legend_handles_labels()
    more, more_names = tokens.get_legend_handles_labels()
    ax.legend(handles + more, names + more_names, loc="upper left", fontsize=8)


def _draw_users(ax: Axes, users: list[UserUsage], text: dict[str, str]) -> None:
    ax.set_title(text["top_users"], fontsize=11)
    top = sorted(users, key=lambda u: (u.requests, u.tokens), reverse=True)[:MAX_USERS]
    if not top:
        return _empty(ax, text)
    y = range(len(top))
    ax.barh(y, [u.requests for u in top], color="#54a24b")
    ax.set_yticks(list(y), [u.label if len(u.label) <= 24 else u.label[:23] + "…" for u in top])
    ax.invert_yaxis()  # the heaviest user on top
    ax.set_xlabel(text["requests"])
    for row, user in zip(y, top, strict=True):
        ax.annotate(
            f" {_short(user.requests)} · {_short(user.tokens)} {text['tokens'].lower()}",
            (user.requests, row),
            va="center",
            fontsize=8,
        )
    ax.margins(x=0.25)  # room for the annotations


def usage_chart(days: list[DayUsage], users: list[UserUsage], title: str, labels: dict[str, str]) -> bytes:
    """A 1000 x 800 PNG; `labels` (requests, tokens, images, top_users, empty) default to English."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    text = _DEFAULT_LABELS | labels
    with _lock, matplotlib.rc_context({"font.family": list(_font_families()), "font.size": 9}):
        # "Glyph … missing from font(s)" for CJK text on a host without CJK fonts: expected, never logged.
        # (Re-added each time: an identical filter replaces itself, and pytest resets filters per test.)
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
        figure = Figure(figsize=SIZE, dpi=100, layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(title, fontsize=14, fontweight="bold")
        filled = _filled(days)
        if not filled and not users:
            _empty(figure.subplots(), text)
        else:
            per_day, per_user = figure.subplots(2, 1, height_ratios=(3, 2))
            _draw_days(per_day, filled, text)
            _draw_users(per_user, users, text)
        out = BytesIO()
        figure.savefig(out, format="png", dpi=100)
    return out.getvalue()


async def usage_chart_async(days: list[DayUsage], users: list[UserUsage], title: str, labels: dict[str, str]) -> bytes:
    """`usage_chart` off the event loop (it takes a CPU for a fraction of a second)."""
    return await asyncio.to_thread(usage_chart, days, users, title, labels)
