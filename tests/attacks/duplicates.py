"""Invariants 4 and 5: nothing stored or shown twice; every Midjourney job delivered once or explained."""

from __future__ import annotations

import dataclasses
import itertools
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.attacks.answers import timeline
from tests.attacks.ledger import Ledger, Sent
from tests.fakes.telegram_api import FakeTelegram, StoredMessage
from tests.fakes.telegram_methods import Call
from tests.fakes.wenwen import Reply


def db_duplicates(db_path: Path) -> list[str]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        twice = con.execute(
            "SELECT c.chat_id, m.tg_message_id, COUNT(*), GROUP_CONCAT(m.id), GROUP_CONCAT(m.conversation_id) "
            "FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE m.role = 'user' AND m.tg_message_id IS NOT NULL GROUP BY c.chat_id, m.tg_message_id "
            "HAVING COUNT(*) > 1"
        ).fetchall()
        rows = con.execute(
            "SELECT conversation_id, id, role, status, substr(content, 1, 40) FROM messages "
            "WHERE status != 'superseded' ORDER BY conversation_id, id"
        ).fetchall()
    found = [
        f"chat {chat} user message {tg_id} stored {count} times (rows {ids}, conversations {convs})"
        for chat, tg_id, count, ids, convs in twice
    ]
    for before, after in itertools.pairwise(rows):
        if before[0] == after[0] and before[2] == after[2] == "assistant":
            found.append(f"conversation {after[0]}: two answers in a row, rows {before[1:]} and {after[1:]}")
    return found


ANSWER_TAG = re.compile(r"⟦(\d+)⟧")


class Tagged:
    """Wraps a reply factory for ``FakeWenwen.default_reply``: every answer starts with a unique ⟦n⟧,
    so the same answer shown twice is told apart from two answers that happen to read alike."""

    def __init__(self, make: Callable[[str], Reply]) -> None:
        self.make = make
        self.count = 0

    def __call__(self, text: str) -> Reply:
        self.count += 1
        reply = self.make(text)
        return dataclasses.replace(reply, text=f"⟦{self.count}⟧ {reply.text}")


# The one duplicate the bot accepts by design (README, "Nothing lost"): a send whose connection dropped
# after Telegram acted, or that completed in the instant before a SIGKILL, is sent again — the Bot API
# has no way to ask whether a message arrived, and the alternative is losing the answer.
AT_LEAST_ONCE_WINDOW = 1.0  # seconds between a send's answer and a kill in which the bot could not record it


def accepted_copy(call: Call | None, kills: Sequence[float]) -> str | None:
    """Why an earlier copy may be shown again (at-least-once delivery), or None if it may not."""
    if call is None:
        return None
    if call.chaos == "drop_after":
        return "its send's connection dropped after Telegram acted"
    if any(0 <= kill - call.time <= AT_LEAST_ONCE_WINDOW for kill in kills):
        return "the process was killed right after its send, before recording it"
    return None


def tagged_duplicates(tg: FakeTelegram, kills: Sequence[float] = (), accepted: list[str] | None = None) -> list[str]:
    """A tagged answer (see Tagged) in more than one bot message of its chat (at-least-once copies aside)."""
    shown: dict[tuple[int, str], list[int]] = {}
    for (chat_id, message_id), message in sorted(tg.messages.items()):
        # Only the tag an answer starts with: a later one is a quote of an earlier answer (a reply to
        # the bot carries the replied-to text into the prompt, and the fake echoes it back).
        found = ANSWER_TAG.match(message.text or "") if message.from_bot else None
        if found:
            shown.setdefault((chat_id, found[0]), []).append(message_id)
    found_twice = []
    for (chat, tag), ids in shown.items():
        if len(ids) < 2:
            continue
        made = creating_calls(tg, chat)
        reasons = [accepted_copy(made.get(i), kills) for i in ids[:-1]]
        line = f"chat {chat}: answer {tag} shown {len(ids)} times (messages {ids}): {transcript_of(tg, chat, ids)}"
        if all(reasons) and accepted is not None:
            accepted.append(f"{line} — accepted: {'; '.join(r for r in reasons if r)}")
        else:
            found_twice.append(line)
    return found_twice


def creating_calls(tg: FakeTelegram, chat_id: int) -> dict[int, Call]:
    """message id → the call that created it."""
    made: dict[int, Call] = {}
    for call in tg.calls:
        result = call.result if isinstance(call.result, dict) else {}
        if call.method.startswith("send") and result.get("chat", {}).get("id") == chat_id:
            made.setdefault(result.get("message_id", 0), call)
    return made


def transcript_of(tg: FakeTelegram, chat_id: int, ids: Sequence[int]) -> str:
    """The messages, each with the call that created it (and the chaos it met)."""
    made = creating_calls(tg, chat_id)
    parts = []
    for i in ids:
        message, call = tg.get_message(chat_id, i), made.get(i)
        how = f" by {call.method}{'/' + call.chaos if call and call.chaos else ''}" if call else ""
        parts.append(f"#{i}{how} {(message.text if message else '?') or ''!r:.50}")
    return "; ".join(parts)


def chat_duplicates(
    tg: FakeTelegram, ledger: Ledger, kills: Sequence[float] = (), accepted: list[str] | None = None
) -> list[str]:
    """More identical bot messages in a chat than user messages (and presses) before the last of them.

    One user message can cause one reply of a kind (two files → two identical "can't read this"), and
    the bot keeps about one message a second per chat, so replies may come well after their questions:
    the n-th identical bot message is a duplicate only when fewer than n user messages came before it.
    Identity: kind, text, reply target; messages without text (voice: the fake's speech is the same
    silence for every answer) cannot be told apart and are left out.
    """
    found = []
    for chat_id in sorted({chat for chat, _ in tg.messages}):
        events: list[tuple[float, StoredMessage | None]] = [
            (float(m.message_id), m) for (c, _), m in tg.messages.items() if c == chat_id
        ]
        events += [(p.after_id + 0.5, None) for p in ledger.presses if p.chat_id == chat_id]
        asked = 0
        seen = Counter[tuple[str, str | None, int | None]]()
        first: dict[tuple[str, str | None, int | None], int] = {}
        made = creating_calls(tg, chat_id)
        for _, message in sorted(events, key=lambda e: e[0]):
            if message is None or not message.from_bot:
                asked += 1
                continue
            if not (message.text or "").strip():
                continue
            key = (message.kind, message.text, message.reply_to)
            seen[key] += 1
            first.setdefault(key, message.message_id)
            if seen[key] > max(asked, 1):
                line = (
                    f"chat {chat_id}: message {message.message_id} is the {seen[key]}th identical {message.kind} "
                    f"{(message.text or '')[:80]!r} (reply to {message.reply_to}) after {asked} user message(s)"
                )
                reason = accepted_copy(made.get(first[key]), kills)
                if reason and accepted is not None:
                    accepted.append(f"{line} — accepted: {reason}")
                else:
                    found.append(line)
    return found


MJ_EXPLAINED = re.compile(r"❌|⌛|🚫|🚦|Midjourney|midjourney")


def mj_unexplained(
    tg: FakeTelegram,
    db_path: Path,
    jobs: Sequence[Sent],
    kills: Sequence[float] = (),
    accepted: list[str] | None = None,
) -> list[str]:
    """Each /imagine job: one task row, one result photo/document, or a failure/refusal message."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT chat_id, reply_to, id, task_id, status, fail_reason FROM mj_tasks WHERE action = 'IMAGINE'"
        ).fetchall()
    found = []
    for job in jobs:
        tasks = [r for r in rows if (r[0], r[1]) == (job.chat_id, job.message_id)]
        chat = [m for m in tg.chat_messages(job.chat_id) if m.message_id > job.message_id]
        results = [
            m for m in chat if m.kind in ("photo", "document") and m.reply_markup and m.reply_to == job.message_id
        ]
        told = [
            m for m in chat if m.kind == "text" and MJ_EXPLAINED.search(m.text or "") and "⏳" not in (m.text or "")
        ]
        where = f"chat {job.chat_id} job {job.message_id} ({job.what})"
        if len(tasks) > 1:
            found.append(f"{where}: submitted {len(tasks)} times: {[(r[3], r[4]) for r in tasks]}")
        if len(results) > 1:
            line = f"{where}: result delivered {len(results)} times (messages {[m.message_id for m in results]})"
            made = creating_calls(tg, job.chat_id)
            reasons = [accepted_copy(made.get(m.message_id), kills) for m in results[:-1]]
            if all(reasons) and accepted is not None:
                accepted.append(f"{line} — accepted: {'; '.join(r for r in reasons if r)}")
            else:
                found.append(line)
        stale = [m for m in chat if m.reply_to == job.message_id and _is_progress(m)]
        left_by_kill = [m for m in stale if accepted_copy(creating_calls(tg, job.chat_id).get(m.message_id), kills)]
        if left_by_kill and accepted is not None:
            shown = [(m.message_id, m.kind) for m in left_by_kill]
            accepted.append(f"{where}: progress {shown} sent just before a kill, its id never recorded")
            stale = [m for m in stale if m not in left_by_kill]
        if stale and not any(r[4] in ("submitted", "running") for r in tasks):
            shown = [(m.message_id, m.kind, (m.text or "")[:40]) for m in stale]
            found.append(f"{where}: progress message(s) left behind after the job ended: {shown}")
        unsettled = [r for r in tasks if r[4] not in ("delivered", "closed")]
        if unsettled:
            found.append(f"{where}: task(s) never settled: {[(r[3], r[4], r[5]) for r in unsettled]}")
        elif not results and not told:
            state = [(r[3], r[4], r[5]) for r in tasks] or "no task row"
            found.append(f"{where}: neither delivered nor explained ({state}); " + timeline(tg, job))
    return found


def _is_progress(message: StoredMessage) -> bool:
    """A "⏳ submitted" / progress-bar text, or a preview photo (no buttons) of a Midjourney task."""
    if message.kind == "photo" and not message.reply_markup:
        return True
    return message.kind == "text" and bool(re.search(r"⏳|[▓░]{10}", message.text or ""))
