"""Fuzz: thousands of seeded random updates through the real Application, ~10 % gateway faults meanwhile.

FUZZ_UPDATES (default 1200, about 40 s here) and FUZZ_SEED change the run; both are in the failure
report. The default is below the 3000 one might want because the bot keeps Telegram's limits (30
messages/s overall, 20/min per group, ~1/s per private chat), which bounds how fast replies can go out,
and the whole suite must fit CI's 15 minutes: FUZZ_UPDATES=3000 runs the full attack (about 95 s).
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

from tests.attacks.inprocess import caught_up, settled
from tests.attacks.invariants import Ledger, Sent, Tagged, check_all, wedged_chats
from tests.attacks.world import BOT, EXTRA_USERS, FORUM, GROUP, PRIVATE, TOPICS, World
from tests.fakes.telegram_api import FakeTelegram, UserMessageOptions
from tests.fakes.wenwen import FakeWenwen
from tests.fakes.wenwen.chaos import echo
from tests.harness import ALICE, BOB

pytestmark = pytest.mark.timeout(240)

SEED = int(os.environ.get("FUZZ_SEED", "20250611"))
UPDATES = int(os.environ.get("FUZZ_UPDATES", "1200"))
BATCH = 40  # updates pushed before waiting for the bot to fetch them
BACKLOG = 60  # updates the bot may still be handling when the next batch goes out
FAST = {
    "mj_poll_interval": 0.05,
    "mj_progress_interval": 0.0,
    "stream_interval_private": 0.5,
    "stream_interval_group": 0.5,
}


def imagine_jobs(ledger: Ledger) -> list[Sent]:
    """/imagine commands with a prompt, in private chats."""
    jobs = []
    for sent in ledger.sent:
        text = sent.what.removeprefix("command ").strip("'\"")
        head, _, prompt = text.partition(" ")
        if head.split("@")[0] == "/imagine" and prompt.strip() and "@otherbot" not in head:
            jobs.append(sent)
    return jobs


def probes() -> list[tuple[int, str, UserMessageOptions]]:
    chats: list[tuple[int, str, UserMessageOptions]] = [
        (chat, "are you still there?", {"user_id": chat}) for chat in PRIVATE
    ]
    chats.append((GROUP, f"@{BOT} still there?", {"chat_type": "group"}))
    chats += [(FORUM, f"@{BOT} topic {t}?", {"chat_type": "supergroup", "message_thread_id": t}) for t in TOPICS]
    return chats


async def push_all(tg: FakeTelegram, bot: Any, world: World, count: int) -> Counter[str]:
    stats: Counter[str] = Counter()
    for index in range(count):
        stats[world.step()] += 1
        if index % BATCH == BATCH - 1:
            await caught_up(tg, bot, BACKLOG, timeout=60)
    return stats


async def test_thousands_of_random_updates_break_no_invariant(
    tg: FakeTelegram,
    ww: FakeWenwen,
    make_bot: Callable[..., Any],
    db_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = await make_bot(**FAST, allowed_user_ids=",".join(str(u) for u in (ALICE, BOB, *EXTRA_USERS)))
    ww.default_reply = Tagged(echo)
    ww.chaos(seed=SEED, rate=0.1)
    ledger = Ledger(tg)
    world = World(tg, ledger, random.Random(SEED))
    loop = asyncio.get_running_loop()
    started = loop.time()
    stats = await push_all(tg, bot, world, UPDATES)
    pushed = loop.time() - started
    problems = await settled(tg, bot, db_path, timeout=60)
    settled_at = loop.time() - started
    ww.chaos_off()
    wedged = await wedged_chats(tg, ledger, probes(), within=20)

    findings = check_all(
        tg,
        ledger,
        db_path,
        title=f"fuzz seed={SEED} updates={UPDATES}",
        records=caplog.records,
        mj_jobs=imagine_jobs(ledger),
    )
    findings.add("6 chats wedged", [*problems, *wedged])
    findings.notes.append(
        f"pushed in {pushed:.1f}s, settled after {settled_at:.1f}s, probed after {loop.time() - started:.1f}s"
    )
    findings.notes.append("updates: " + ", ".join(f"{k} {v}" for k, v in stats.most_common()))
    findings.notes.append(f"gateway faults injected: {Counter(f.kind for f in ww.chaos_faults)}")
    findings.notes.append(f"Bot API calls: {Counter(c.method for c in tg.calls).most_common()}")
    print(findings.report())
    findings.assert_clean()
