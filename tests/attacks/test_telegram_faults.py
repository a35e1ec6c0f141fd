"""Telegram faults: normal chatting (two private chats and a group) while ~20 % of the bot's calls fail.

The faults (FakeTelegram.chaos): 429 with retry_after 1, 500, and the connection dropped before the
fake acted or after it acted (the message is there, the bot only sees a network error).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.attacks.inprocess import settled
from tests.attacks.invariants import Ledger, Sent, Tagged, check_all, wait_answered, wedged_chats
from tests.fakes.telegram_api import FakeTelegram, UserMessageOptions
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, BOB

pytestmark = pytest.mark.timeout(150)

SEED = int(os.environ.get("TG_FAULTS_SEED", "7031"))
RATE = 0.2
ROUNDS = int(os.environ.get("TG_FAULTS_ROUNDS", "12"))  # the suite must fit CI's 15 minutes
GROUP = -1005550001
BOT = "wenwen_test_bot"
WORDS = "the quick brown fox jumps over a lazy dog while **bold** words and `code` go by".split()


def slow_answer(text: str) -> Reply:
    """An answer in several chunks, so it streams (drafts in private chats, edits in the group)."""
    return Reply(text=f"About {text[:40]}: " + " ".join(WORDS * 2), chunks=8, delay=0.06)


def one_round(ledger: Ledger, rng: random.Random, number: int) -> list[Sent]:
    """Each user writes (sometimes twice in a row, sometimes a command); every other round the group too."""
    sent = []
    for chat in (ALICE, BOB):
        roll = rng.random()
        if roll < 0.1:
            sent.append(ledger.text(chat, rng.choice(["/new", "/settings", "/help", "/usage"]), user_id=chat))
        sent.append(ledger.text(chat, f"round {number}: " + " ".join(rng.sample(WORDS, 5)), user_id=chat))
        if roll > 0.75:
            sent.append(ledger.text(chat, "and one more thing", user_id=chat))
    if number % 2 == 0:
        user = rng.choice([ALICE, BOB])
        sent.append(ledger.text(GROUP, f"@{BOT} group round {number}", user_id=user, chat_type="supergroup"))
    return sent


def probes() -> list[tuple[int, str, UserMessageOptions]]:
    return [
        (ALICE, "still there?", {"user_id": ALICE}),
        (BOB, "still there?", {"user_id": BOB}),
        (GROUP, f"@{BOT} still there?", {"user_id": ALICE, "chat_type": "supergroup"}),
    ]


async def test_chatting_through_a_failing_bot_api_breaks_no_invariant(
    tg: FakeTelegram,
    ww: FakeWenwen,
    make_bot: Callable[..., Any],
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = await make_bot(stream_interval_group=0.5, stream_interval_private=0.2)
    ww.default_reply = Tagged(slow_answer)
    tg.chaos(seed=SEED, rate=RATE)
    ledger, rng = Ledger(tg), random.Random(SEED)
    loop = asyncio.get_running_loop()
    started = loop.time()
    unanswered_in_round = []
    for number in range(ROUNDS):
        start = len(tg.calls)
        waiting = await wait_answered(tg, one_round(ledger, rng, number), within=10, start=start)
        unanswered_in_round += [f"round {number}: {s.what} in chat {s.chat_id}" for s in waiting]
    tg.chaos_off()
    problems = await settled(tg, bot, db_path, timeout=30)
    wedged = await wedged_chats(tg, ledger, probes(), within=15)

    findings = check_all(tg, ledger, db_path, title=f"telegram faults seed={SEED}", records=caplog.records)
    findings.add("6 chats wedged", [*problems, *wedged])
    findings.notes.append(f"ran {loop.time() - started:.1f}s; not answered within its round: {unanswered_in_round}")
    findings.notes.append(f"faults injected: {Counter((f.method, f.kind) for f in tg.chaos_faults).most_common()}")
    print(findings.report())
    findings.assert_clean()
