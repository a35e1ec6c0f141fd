"""A conversation as a Markdown file: its turns with their times, built in memory and bounded in size."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from storage import ExportRow

MAX_EXPORT_BYTES = 8_000_000  # well under Telegram's 50 MB upload limit; past it the file says it was cut
_UNSAFE = re.compile(r"[^\w\- ]+")
SHOWN = frozenset({"complete", "partial"})  # superseded, failed and pending rows hold no answer worth keeping


@dataclass(frozen=True, slots=True)
class ExportFile:
    title: str
    name: str
    content: bytes
    truncated: bool


def file_name(title: str, conversation_id: int) -> str:
    """A safe file name from the title: letters, digits, '-' and '_' (any script), at most 60, then `.md`."""
    normalized = unicodedata.normalize("NFKC", title)
    stem = "-".join(_UNSAFE.sub(" ", normalized).split()).strip("-_.")[:60].strip("-_.")
    return f"{stem or f'conversation-{conversation_id}'}.md"


def _time(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def render_row(row: ExportRow, names: dict[str, str]) -> str:
    attached = " ".join(["[image]"] * row.images + [f"[file: {name}]" for name in row.files])
    text = "\n\n".join(part for part in (attached, row.content.strip()) if part)
    cut = " (cut short)" if row.status == "partial" and row.role == "assistant" else ""
    return f"### {names[row.role]} · {_time(row.created_at)}{cut}\n\n{text}\n\n"


async def build_markdown(
    title: str,
    conversation_id: int,
    created_at: float,
    rows: AsyncIterator[ExportRow],
    names: dict[str, str],
    cut_note: str,
    limit: int = MAX_EXPORT_BYTES,
) -> ExportFile:
    """The file, rows read page by page: stops (with `cut_note`) before it would pass `limit` bytes."""
    parts = [f"# {title}\n\n_{_time(created_at)}_\n\n"]
    size = len(parts[0].encode())
    truncated = False
    async for row in rows:
        if row.status not in SHOWN:
            continue
        piece = render_row(row, names)
        size += len(piece.encode())
        if size > limit:
            truncated = True
            parts.append(f"---\n\n_{cut_note}_\n")
            break
        parts.append(piece)
    return ExportFile(title, file_name(title, conversation_id), "".join(parts).encode(), truncated)
