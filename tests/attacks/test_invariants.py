"""The shared checker sees what it must (and only that), driven by a plain PTB Bot on the fake."""

from __future__ import annotations

import logging
import re
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import BadRequest, TelegramError

from tests.attacks.invariants import (
    Ledger,
    Tagged,
    chat_duplicates,
    db_duplicates,
    lost_answers,
    refused_calls,
    tagged_duplicates,
    tracebacks_in_records,
    tracebacks_in_text,
)
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import Reply

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def ptb(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=f"{tg.base_url}/bot", base_file_url=f"{tg.base_url}/file/bot") as bot:
        yield bot


async def test_refusals_count_but_not_modified_and_chaos_do_not(tg: FakeTelegram, ptb: Bot) -> None:
    sent = await ptb.send_message(42, "same")
    with pytest.raises(BadRequest):
        await ptb.edit_message_text("same", chat_id=42, message_id=sent.message_id)
    assert refused_calls(tg) == []
    tg.chaos(seed=1, rate=1.0, kinds=("500",))
    with pytest.raises(TelegramError):
        await ptb.send_message(42, "x")
    tg.chaos_off()
    with pytest.raises(BadRequest):
        await ptb.send_message(42, "a" * 5000)
    [line] = refused_calls(tg)
    assert line.startswith("sendMessage x1: 'Bad Request: message is too long'")


async def test_a_message_is_answered_only_by_a_final_bot_message_after_it(tg: FakeTelegram, ptb: Bot) -> None:
    ledger = Ledger(tg)
    question = ledger.text(42, "question?", user_id=42)
    ledger.text(42, "", user_id=42, expects=False)
    live = await ptb.send_message(42, "partial ▌")
    [lost] = lost_answers(tg, ledger)
    assert re.fullmatch(
        r"chat 42 message 1 \(text 'question\?'\) unanswered; after it: \+\d\.\d\ds sendMessage->200 'partial ▌'", lost
    )
    await ptb.edit_message_text("whole answer", chat_id=42, message_id=live.message_id)
    assert lost_answers(tg, ledger) == []
    later = ledger.text(42, "another", user_id=42)
    assert [line.split(" unanswered")[0] for line in lost_answers(tg, ledger)] == [
        f"chat 42 message {later.message_id} ({later.what})"
    ]
    assert question.expects_answer


async def test_only_more_repeats_than_questions_are_duplicates(tg: FakeTelegram, ptb: Bot) -> None:
    ledger = Ledger(tg)
    ledger.text(42, "file one", user_id=42)
    ledger.text(42, "file two", user_id=42)
    await ptb.send_message(42, "can't read this")
    await ptb.send_message(42, "can't read this")  # one per file
    assert chat_duplicates(tg, ledger) == []
    ledger.text(42, "once", user_id=42)
    for _ in range(3):  # three user messages so far: a third identical reply may still be one per message
        await ptb.send_message(42, "the answer")
    assert chat_duplicates(tg, ledger) == []
    await ptb.send_message(42, "the answer")  # a fourth cannot be
    [found] = chat_duplicates(tg, ledger)
    assert "4th identical text 'the answer'" in found
    tag = Tagged(lambda text: Reply(text=f"echo: {text}"))
    assert [tag("a").text, tag("a").text] == ["⟦1⟧ echo: a", "⟦2⟧ echo: a"]
    ledger.text(42, "one", user_id=42)
    ledger.text(42, "two", user_id=42)
    first = await ptb.send_message(42, "⟦7⟧ echo: a")
    assert tagged_duplicates(tg) == []
    await ptb.send_message(42, "⟦7⟧ echo: a")  # two questions before it, yet the same answer twice
    assert tagged_duplicates(tg) == [
        f"chat 42: answer ⟦7⟧ shown 2 times (messages [{first.message_id}, {first.message_id + 1}]): "
        f"#{first.message_id} by sendMessage '⟦7⟧ echo: a'; #{first.message_id + 1} by sendMessage '⟦7⟧ echo: a'"
    ]


def test_the_database_check_finds_a_message_stored_twice(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE conversations (id INTEGER PRIMARY KEY, chat_id INTEGER)")
        con.execute(
            "CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id INTEGER, role TEXT, status TEXT, "
            "content TEXT, tg_message_id INTEGER)"
        )
        con.execute("INSERT INTO conversations VALUES (1, 42)")
        rows = [(1, "user", "complete", "q", 5), (1, "assistant", "complete", "a", None)]
        rows += [(1, "user", "complete", "q", 5), (1, "assistant", "failed", "", None)]
        rows += [(1, "assistant", "complete", "again", None)]
        con.executemany(
            "INSERT INTO messages (conversation_id, role, status, content, tg_message_id) VALUES (?, ?, ?, ?, ?)", rows
        )
    found = db_duplicates(path)
    assert found[0] == "chat 42 user message 5 stored 2 times (rows 1,3, conversations 1,1)"
    assert "two answers in a row" in found[1] and len(found) == 2


def test_tracebacks_are_found_in_records_and_in_text() -> None:
    try:
        raise IndexError("tuple index out of range")
    except IndexError:
        record = logging.LogRecord("bot.x", logging.ERROR, __file__, 1, "unhandled error", None, None)
        record.exc_info = sys.exc_info()
    quiet = logging.LogRecord("bot.x", logging.INFO, __file__, 1, "all fine", None, None)
    [line] = tracebacks_in_records([record, quiet])
    assert "IndexError: tuple index out of range" in line and "test_invariants.py" in line
    text = (
        "2025 ERROR bot.handlers.errors unhandled error\nTraceback (most recent call last):\n"
        '  File "/x/bot/a.py", line 3, in f\n    g()\nKeyError: 3\nINFO next line\n'
    )
    expected = ["2025 ERROR bot.handlers.errors unhandled error -> KeyError: 3 | bot/a.py:3 f"]
    assert tracebacks_in_text(text) == expected
    second = "\nDuring handling of the above exception, another exception occurred:\n\n" + text.split("\n", 1)[1]
    assert tracebacks_in_text(text.replace("KeyError: 3\n", "KeyError: 3\n" + second)) == expected
