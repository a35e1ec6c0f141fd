"""What must hold after any attack, checked the same way by all of them.

1. no traceback in the log;
2. no Bot API call refused by the fake, except "message is not modified" (chaos-made answers excluded);
3. every user message the bot should answer is followed by a final bot message in its chat
   (a sendMessage/media, or an edit that leaves no streaming cursor; drafts do not count), or by a
   message with a ``retry:`` button (the "your answer was interrupted" notice);
4. nothing stored twice (a user message once per chat in the database, no two assistant rows in a
   row) and nothing shown twice (two identical bot messages with nothing from the user between) — but
   for the one duplicate the bot accepts by design: a send whose connection dropped after Telegram
   acted, or that completed in the instant before a SIGKILL, is sent again (see accepted_copy);
5. every Midjourney job delivered once or explained (see :func:`mj_unexplained`);
6. no chat wedged: with the faults off each chat answers a new message within seconds (:func:`wedged_chats`).

:class:`Ledger` records what an attack sent; :func:`check_all` runs 1–5 into :class:`Findings`.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.attacks.answers import lost_answers, redelivered, transcript, wait_answered, wedged_chats
from tests.attacks.duplicates import (
    MJ_EXPLAINED,
    Tagged,
    chat_duplicates,
    db_duplicates,
    mj_unexplained,
    tagged_duplicates,
)
from tests.attacks.ledger import Ledger, Sent
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_chaos import REPLACED
from tests.fakes.telegram_methods import Call
from tests.fakes.telegram_text import NOT_MODIFIED

__all__ = [  # the checker's whole API, for the attacks
    "MJ_EXPLAINED",
    "Findings",
    "Ledger",
    "Sent",
    "Tagged",
    "chat_duplicates",
    "check_all",
    "db_duplicates",
    "lost_answers",
    "redelivered",
    "refused_calls",
    "tagged_duplicates",
    "tracebacks_in_records",
    "tracebacks_in_text",
    "transcript",
    "wait_answered",
    "wedged_chats",
]

_TRACEBACK = "Traceback (most recent call last):"


@dataclass
class Findings:
    """Violations by invariant, printed readably when an attack fails."""

    title: str = "attack"
    items: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, invariant: str, lines: Iterable[str]) -> None:
        lines = list(lines)
        if lines:
            self.items.setdefault(invariant, []).extend(lines)

    def __bool__(self) -> bool:
        return bool(self.items)

    def report(self, per_invariant: int = 12) -> str:
        out = [f"{self.title}: {sum(len(v) for v in self.items.values())} violation(s)"]
        for invariant, lines in self.items.items():
            out.append(f"== {invariant} ({len(lines)})")
            out.extend(f"  - {line}" for line in lines[:per_invariant])
            if len(lines) > per_invariant:
                out.append(f"  … {len(lines) - per_invariant} more")
        out.extend(f"note: {note}" for note in self.notes)
        return "\n".join(out)

    def assert_clean(self) -> None:
        if self:
            pytest.fail(self.report(), pytrace=False)


# ------------------------------------------------------------------ 1. tracebacks
def tracebacks_in_records(records: Sequence[logging.LogRecord]) -> list[str]:
    """Log records that carry an exception or a printed traceback, with the exception's last line."""
    found = []
    for record in records:
        message = record.getMessage()
        if not record.exc_info and _TRACEBACK not in message:
            continue
        exc = record.exc_info[1] if record.exc_info else None
        cause = f"{type(exc).__name__}: {str(exc)[:200]}" if exc is not None else message.splitlines()[-1][:200]
        where = _innermost_frame(exc)
        found.append(f"[{record.levelname} {record.name}] {message.splitlines()[0][:160]} -> {cause}{where}")
    return found


def _innermost_frame(exc: BaseException | None) -> str:
    """Where it happened: the deepest three frames of our own code (bot/, storage/, tests/), then the deepest."""
    tb = exc.__traceback__ if exc is not None else None
    ours: list[str] = []
    last = ""
    while tb is not None:
        code = tb.tb_frame.f_code
        last = f"{Path(code.co_filename).name}:{tb.tb_lineno}"
        if re.search(r"/(bot|storage|tests)/", code.co_filename) and "site-packages" not in code.co_filename:
            ours.append(f"{_relative(code.co_filename)}:{tb.tb_lineno} {code.co_name}")
        tb = tb.tb_next
    if not ours:
        return f" at {last}" if last else ""
    return f" at {' < '.join(reversed(ours[-4:]))} (raised in {last})"


_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')
_CHAINED = ("During handling of the above exception", "The above exception was the direct cause")


def _relative(path: str) -> str:
    found = re.search(r"/((?:bot|storage|tests)/.*)$", path)
    return found[1] if found else path


def tracebacks_in_text(text: str) -> list[str]:
    """Tracebacks printed by a process: the log line before each, our deepest frame, the last exception line.

    Chained tracebacks ("During handling of the above exception …") count once, with the final exception.
    """
    lines = text.splitlines()
    found: list[str] = []
    for index, line in enumerate(lines):
        if _TRACEBACK not in line:
            continue
        before = next((b.strip() for b in reversed(lines[max(0, index - 3) : index]) if b.strip()), "")
        chained = before.startswith(_CHAINED) and found
        end, ours = index + 1, ""
        while end < len(lines) and lines[end].startswith((" ", "\t")):
            frame = lines[end].strip()
            where = _FRAME.match(frame)
            if where and re.search(r"/(bot|storage)/", where[1]) and "site-packages" not in where[1]:
                ours = f"{_relative(where[1])}:{where[2]} {where[3]}"
            end += 1
        last = lines[end].strip() if end < len(lines) else "?"
        if chained:
            head = found.pop().split(" -> ")[0]
            found.append(f"{head} -> {last[:200]}" + (f" | {ours[:160]}" if ours else ""))
        else:
            found.append(f"{before[:160]} -> {last[:200]}" + (f" | {ours[:160]}" if ours else ""))
    return found


# ------------------------------------------------------------------ 2. refused calls
def refused(call: Call) -> bool:
    if call.status in (0, 200, 499) or call.chaos in REPLACED:
        return False
    return NOT_MODIFIED not in (call.description or "")


def refused_calls(tg: FakeTelegram) -> list[str]:
    groups: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], Call] = {}
    for call in tg.calls:
        if refused(call):
            key = (call.method, call.description or "")
            groups[key] += 1
            example.setdefault(key, call)
    return [
        f"{method} x{count}: {description!r}; e.g. {_params(example[(method, description)])}"
        for (method, description), count in groups.most_common()
    ]


def _params(call: Call) -> str:
    shown = {k: f"<{len(v)} bytes>" if isinstance(v, bytes) else v for k, v in call.params.items()}
    return repr(shown)[:300]


def check_all(
    tg: FakeTelegram,
    ledger: Ledger,
    db_path: Path,
    *,
    title: str,
    records: Sequence[logging.LogRecord] = (),
    log_text: str = "",
    mj_jobs: Sequence[Sent] = (),
    kills: Sequence[float] = (),
) -> Findings:
    findings = Findings(title)
    accepted: list[str] = []
    findings.add("1 tracebacks in the log", [*tracebacks_in_records(records), *tracebacks_in_text(log_text)])
    findings.add("2 Bot API calls refused", refused_calls(tg))
    findings.add("3 user messages silently lost", lost_answers(tg, ledger))
    findings.add("4a stored twice (database)", db_duplicates(db_path))
    shown_twice = [*tagged_duplicates(tg, kills, accepted), *chat_duplicates(tg, ledger, kills, accepted)]
    findings.add("4b shown twice (chat)", shown_twice)
    findings.add(
        "5 Midjourney jobs not delivered once nor explained", mj_unexplained(tg, db_path, mj_jobs, kills, accepted)
    )
    findings.notes += [f"at-least-once (documented): {line}" for line in accepted]
    return findings
