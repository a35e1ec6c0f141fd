"""SIGKILL during Midjourney: ten /imagine jobs (one chat each), the real process killed at seeded moments.

Moments: while the submit is at the gateway and its answer not yet read (the fake holds it; it is
released after the kill, so the task exists upstream although the bot never learns its id), right
after the gateway answered the submit, after the progress message, after the preview photo, right
after the result photo reached Telegram — or no kill for that job. Restarted on the same database.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.attacks.inprocess import poll_until, unsettled_mj
from tests.attacks.invariants import MJ_EXPLAINED, Ledger, Sent, check_all, redelivered, wedged_chats
from tests.attacks.process import BotProcess
from tests.fakes.telegram_api import FakeTelegram, UserMessageOptions
from tests.fakes.wenwen import FakeWenwen

pytestmark = pytest.mark.timeout(240)

SEED = int(os.environ.get("KILL_MJ_SEED", "8086"))
CHATS = tuple(range(4001, 4011))
MOMENTS = ("submit_held", "submitted", "progress", "preview", "result", "none")


def sent_in(tg: FakeTelegram, chat: int, start: int, method: str, *, buttons: bool | None = None) -> bool:
    return any(
        c.method == method
        and c.status == 200
        and c.params.get("chat_id") == chat
        and (buttons is None or bool(c.params.get("reply_markup")) == buttons)
        for c in tg.calls[start:]
    )


def condition(tg: FakeTelegram, ww: FakeWenwen, kind: str, chat: int) -> tuple[Callable[[], bool], bool]:
    """(condition, checked on the Telegram fake?) for a kill moment, counted from now."""
    calls, submits, tasks = len(tg.calls), len(ww.mj_requests("/mj/submit/imagine")), len(ww.mj_tasks)
    if kind == "submit_held":
        return lambda: len(ww.mj_requests("/mj/submit/imagine")) > submits, False
    if kind == "submitted":
        return lambda: len(ww.mj_tasks) > tasks, False
    if kind == "progress":
        return lambda: sent_in(tg, chat, calls, "sendMessage"), True
    if kind == "preview":
        return lambda: sent_in(tg, chat, calls, "sendPhoto", buttons=False), True
    return lambda: sent_in(tg, chat, calls, "sendPhoto", buttons=True), True


async def one_job(
    tg: FakeTelegram, ww: FakeWenwen, proc: BotProcess, ledger: Ledger, kind: str, chat: int
) -> tuple[Sent, str]:
    """Send one /imagine; kill at its moment (and start again); returns the job and how the kill went."""
    hold = asyncio.Event()
    if kind == "submit_held":
        ww.mj_script_submit(hold=hold)
    check, on_telegram = condition(tg, ww, kind, chat)
    job = ledger.text(chat, f"/imagine job for chat {chat}, a lighthouse --ar 3:2", user_id=chat)
    if kind == "none":
        return job, kind
    try:
        await (tg.wait_for(check, timeout=20) if on_telegram else ww.wait_for(check, timeout=20))
    except (AssertionError, TimeoutError):
        kind += " (never came)"
    await proc.kill()
    hold.set()  # the gateway answers a client that is gone
    await proc.start()
    return job, kind


def explained(tg: FakeTelegram, job: Sent) -> bool:
    """A result with buttons, or a failure/refusal text, after the job."""
    later = [m for m in tg.chat_messages(job.chat_id) if m.message_id > job.message_id]
    return any(m.kind != "text" and m.reply_markup for m in later) or any(
        m.kind == "text" and MJ_EXPLAINED.search(m.text or "") and "⏳" not in (m.text or "") for m in later
    )


def outcome(tg: FakeTelegram, proc: BotProcess, job: Sent) -> str:
    with sqlite3.connect(f"file:{proc.db_path}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT status, fail_reason FROM mj_tasks WHERE chat_id = ? AND reply_to = ?", (job.chat_id, job.message_id)
        ).fetchall()
    shown = [f"{m.kind}:{(m.text or '')[:40]!r}" for m in tg.chat_messages(job.chat_id)]
    return f"chat {job.chat_id}: tasks {rows}; chat shows {shown}"


async def test_sigkill_during_midjourney_jobs_delivers_each_once_or_explains(
    tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    env = {"MJ_POLL_INTERVAL": "0.2", "MJ_PROGRESS_INTERVAL": "0"}
    proc = BotProcess(tg, ww, tmp_path, allowed=",".join(map(str, CHATS)), env=env)
    ledger = Ledger(tg)
    kinds = [*MOMENTS, *(rng.choice(MOMENTS[:-1]) for _ in range(len(CHATS) - len(MOMENTS)))]
    rng.shuffle(kinds)  # every moment at least once
    jobs: list[Sent] = []
    moments: list[str] = []
    await proc.start()
    try:
        for chat, kind in zip(CHATS, kinds, strict=True):
            job, moment = await one_job(tg, ww, proc, ledger, kind, chat)
            jobs.append(job)
            moments.append(moment)
        done = lambda: not unsettled_mj(proc.db_path) and all(explained(tg, j) for j in jobs)  # noqa: E731
        try:
            await poll_until(done, 40, "every job delivered or explained")
        except AssertionError as error:
            moments.append(str(error))
        probes: list[tuple[int, str, UserMessageOptions]] = [(c, "hello?", {"user_id": c}) for c in CHATS]
        wedged = await wedged_chats(tg, ledger, probes, within=15)
    finally:
        code = await proc.stop()
    findings = check_all(
        tg, ledger, proc.db_path, title=f"kill midjourney seed={SEED}",
        log_text=proc.log_text(),
        mj_jobs=jobs,
        kills=proc.kill_times,
    )
    findings.add("6 chats wedged", wedged)
    findings.notes.append(f"moments per job: {list(zip(CHATS, moments, strict=False))}; {proc.kills} kills")
    findings.notes.append(f"submits at the gateway: {len(ww.mj_requests('/mj/submit/imagine'))}, exit code {code}")
    findings.notes.append(f"log: {proc.log_path}")
    findings.notes.append(f"updates redelivered after a kill: {redelivered(tg)}")
    findings.notes += [outcome(tg, proc, job) for job in jobs]
    print(findings.report())
    findings.assert_clean()
