"""SIGKILL during streamed answers: six private chats, slow answers, the real process killed 8–12 times.

Each kill comes at a seeded moment, named by what has just happened (the bot fetched updates, a
chat request reached the gateway, some drafts went out, a final answer was sent); the process is
started again on the same database, and the fake Telegram redelivers what was never confirmed.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.attacks.invariants import (
    Ledger,
    Sent,
    Tagged,
    check_all,
    redelivered,
    transcript,
    wait_answered,
    wedged_chats,
)
from tests.attacks.process import BotProcess
from tests.fakes.telegram_api import FakeTelegram, UserMessageOptions
from tests.fakes.wenwen import FakeWenwen, Reply

pytestmark = pytest.mark.timeout(240)

SEED = int(os.environ.get("KILL_STREAMS_SEED", "5150"))
CHATS = tuple(range(3001, 3007))
FILLER = " ".join(f"word{i}" for i in range(60))
CHAT_PATH = "/v1/chat/completions"


def slow_answer(text: str) -> Reply:
    """About two seconds of streaming per answer."""
    return Reply(text=f"Answer to «{text[:30]}»: {FILLER}", chunks=16, delay=0.12)


def moment(tg: FakeTelegram, ww: FakeWenwen, rng: random.Random) -> tuple[str, Callable[[], bool], bool]:
    """A seeded kill moment: (name, condition, checked on the Telegram fake?) counted from now."""
    calls, requests = len(tg.calls), len(ww.requests_to(CHAT_PATH))
    kind = rng.choice(["fetched", "request", "drafts", "final", "streaming"])
    if kind == "fetched":  # the bot got the next updates and had no time to confirm them
        first = tg.next_update_id
        return (
            kind,
            lambda: any(u["update_id"] >= first for c in tg.calls_of("getUpdates") for u in c.result or []),
            True,
        )
    if kind == "request":
        count = rng.randint(1, 3)
        return f"{kind}x{count}", lambda: len(ww.requests_to(CHAT_PATH)) - requests >= count, False
    if kind == "drafts":
        count = rng.randint(1, 12)
        return f"{kind}x{count}", lambda: sum(c.method == "sendMessageDraft" for c in tg.calls[calls:]) >= count, True
    if kind == "final":
        return kind, lambda: any(c.method == "sendMessage" and c.status == 200 for c in tg.calls[calls:]), True
    count = rng.randint(1, 4)
    return f"{kind}x{count}", lambda: ww.streams_open >= count, False


def messages(ledger: Ledger, rng: random.Random, kill: int) -> list[Sent]:
    """Questions from a seeded share of the chats (none at all: the kill hits what recovery does)."""
    if rng.random() < 0.2:
        return []
    return [
        ledger.text(
            chat, f"kill {kill} asks {chat}: " + rng.choice(["why?", "how so", "tell me more", "😀 ok"]), user_id=chat
        )
        for chat in rng.sample(CHATS, rng.randint(1, len(CHATS)))
    ]


async def kill_at(
    tg: FakeTelegram, ww: FakeWenwen, proc: BotProcess, kill: tuple[str, Callable[[], bool], bool]
) -> str:
    name, condition, on_telegram = kill
    try:
        if on_telegram:
            await tg.wait_for(condition, timeout=15)
        else:
            await ww.wait_for(condition, timeout=15)
    except (AssertionError, TimeoutError):
        name += " (not reached in 15 s)"
    await proc.kill()
    return name


async def test_sigkill_during_streamed_answers_loses_and_doubles_nothing(
    tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path
) -> None:
    ww.default_reply = Tagged(slow_answer)
    rng = random.Random(SEED)
    ledger = Ledger(tg)
    proc = BotProcess(tg, ww, tmp_path, allowed=",".join(map(str, CHATS)), env={"STREAM_INTERVAL_PRIVATE": "0.2"})
    moments = []
    try:
        for kill in range(rng.randint(8, 12)):
            await proc.start()
            when = moment(tg, ww, rng)  # counted from before the questions: "fetched" means these
            drafts = len(tg.calls_of("sendMessageDraft"))
            if messages(ledger, rng, kill) and rng.random() < 0.5:  # more arrive while the answers stream
                await tg.wait_for(lambda n=drafts: len(tg.calls_of("sendMessageDraft")) > n, timeout=15)
                messages(ledger, rng, kill)
            moments.append(await kill_at(tg, ww, proc, when))
        await proc.start()
        lost_at_end = await wait_answered(tg, ledger.sent, within=20)
        probes: list[tuple[int, str, UserMessageOptions]] = [(c, "still there?", {"user_id": c}) for c in CHATS]
        wedged = await wedged_chats(tg, ledger, probes, within=20)
    finally:
        code = await proc.stop()
    findings = check_all(
        tg, ledger, proc.db_path, title=f"kill streams seed={SEED}", log_text=proc.log_text(), kills=proc.kill_times
    )
    findings.add("6 chats wedged", wedged)
    findings.notes.append(f"{proc.kills} kills at: {moments}; exit code of the last run {code}")
    findings.notes.append(f"messages still unanswered after the last start: {len(lost_at_end)}")
    findings.notes.append(f"updates still queued at the fake: {len(tg.updates)}; log: {proc.log_path}")
    findings.notes += [transcript(tg, chat) for chat in CHATS]
    findings.notes.append(f"updates redelivered after a kill: {redelivered(tg)}")
    print(findings.report())
    findings.assert_clean()
