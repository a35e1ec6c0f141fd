"""Midjourney when things go wrong: refusals, failures, timeouts, big files, restarts, many tasks."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ALICE, start_bot_process

from .mj_helpers import FAST_MJ, buttons, photos, submits, texts, wait_results

PROMPT = "a lighthouse at dusk --ar 3:2"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (
            {"code": 24, "description": "可能包含敏感词", "properties": {"promptEn": "x", "bannedWord": "nude"}},
            "“nude”",
        ),
        ({"code": 23, "description": "队列已满，请稍后尝试"}, "queue is full"),
        ({"code": 4, "description": "参数错误"}, "rejected the parameters: 参数错误"),
        ({"code": 3, "description": "无可用的账号实例"}, "无可用的账号实例"),
    ],
)
async def test_submit_refusals_reach_the_user(
    tg: FakeTelegram, ww: FakeWenwen, make_bot, script: dict, expected: str
) -> None:
    await make_bot(**FAST_MJ)
    ww.mj_script_submit(**script)
    tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    await tg.wait_for(lambda: any(expected in t for t in texts(tg, ALICE)))
    assert not photos(tg, ALICE)


async def test_gateway_errors_on_submit_are_explained(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    ww.mj_script_error(429, "当前分组负载已饱和，请稍后再试", code=30)
    tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    await tg.wait_for(lambda: any("busy" in t for t in texts(tg, ALICE)))
    assert len(submits(ww, "imagine")) == 1, "a submit is never sent twice"


async def test_an_upstream_failure_shows_its_reason(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    ww.mj_script_failure("Request cancelled due to image filters")
    tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    await tg.wait_for(lambda: any("Request cancelled due to image filters" in t for t in texts(tg, ALICE)))
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)  # the progress message is gone
    assert texts(tg, ALICE)[0].startswith("❌ Midjourney failed")


async def test_a_task_that_never_finishes_gives_up_with_a_message(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    ww.mj_auto_advance = False
    await make_bot(**FAST_MJ, mj_task_timeout=0.5)
    tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    await tg.wait_for(lambda: any("did not finish" in t for t in texts(tg, ALICE)), timeout=10)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)  # the progress message is gone


async def test_a_result_over_the_photo_limit_arrives_as_a_document(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    ww.mj_image_size = 11_000_000
    await make_bot(**FAST_MJ)
    tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    [result] = await wait_results(tg, ALICE, 1, within=30)
    assert result.kind == "document"
    assert len(result.file or b"") >= 11_000_000
    assert "U1" in buttons(result)


async def test_the_upscale_is_offered_as_a_full_resolution_file(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(**FAST_MJ)
    tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
    [grid] = await wait_results(tg, ALICE, 1)
    tg.press_button(ALICE, grid.message_id, buttons(grid)["U4"], user_id=ALICE)
    upscale = (await wait_results(tg, ALICE, 2))[-1]
    tg.press_button(ALICE, upscale.message_id, buttons(upscale)["📄"], user_id=ALICE)
    await tg.wait_for(lambda: any(m.kind == "document" for m in tg.chat_messages(ALICE)))
    document = next(m for m in tg.chat_messages(ALICE) if m.kind == "document")
    assert document.file == upscale.file


async def test_fifty_pending_tasks_are_polled_with_one_request_per_interval(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    ww.mj_auto_advance = False
    await make_bot(**FAST_MJ, allowed_user_ids="*")
    for chat in range(50):
        tg.send_text(20_000 + chat, f"/imagine fox number {chat}", user_id=20_000 + chat)
    await ww.wait_for(lambda: len(ww.mj_tasks) == 50, timeout=20)
    await tg.wait_for(lambda: sum(1 for c in tg.calls_of("sendMessage") if "⏳" in c.params["text"]) == 50)
    seen = len(ww.mj_requests("/mj/task/list-by-condition"))
    await ww.wait_for(lambda: len(ww.mj_requests("/mj/task/list-by-condition")) >= seen + 3)
    latest = ww.mj_requests("/mj/task/list-by-condition")[seen:]
    assert all(sorted(r.json["ids"]) == sorted(ww.mj_tasks) for r in latest)
    assert ww.mj_fetch_calls == 0
    # One request per interval, not one per task (50 tasks would be 50 requests an interval). The poll
    # runs at a fixed rate and a busy machine delays ticks (a late one may be followed at once by the
    # next), so what is judged is the count over the span, not single gaps.
    span = latest[-1].time - latest[0].time
    assert len(latest) - 1 <= span / 0.05 + 1, "one request per interval, not one per task"


async def test_a_killed_bot_resumes_the_task_and_delivers_the_result_once(
    tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path
) -> None:
    ww.mj_auto_advance = False

    async def start() -> asyncio.subprocess.Process:
        return await start_bot_process(
            tmp_path,
            tg.base_url,
            ww.base_url,
            ALLOWED_USER_IDS=str(ALICE),
            MJ_POLL_INTERVAL="0.1",
            MJ_PROGRESS_INTERVAL="0",
        )

    first = await start()
    try:
        tg.send_text(ALICE, f"/imagine {PROMPT}", user_id=ALICE)
        await tg.wait_for(lambda: any("⏳" in t for t in texts(tg, ALICE)), timeout=20)
        [task_id] = list(ww.mj_tasks)
        ww.mj_advance(task_id, 2)  # running, with a preview
        await tg.wait_for(lambda: bool(tg.calls_of("sendPhoto")), timeout=10)
        ww.mj_advance(task_id, 1)  # further: the caption of the stored preview is edited
        await tg.wait_for(lambda: bool(tg.calls_of("editMessageCaption")), timeout=10)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()

    ww.mj_finish(task_id)
    second = await start()
    try:
        await wait_results(tg, ALICE, 1, within=20)
        polls = len(ww.mj_requests("/mj/task/list-by-condition"))
        await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1, timeout=10)
    finally:
        second.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(second.communicate(), timeout=30)
    assert len(photos(tg, ALICE)) == 1
    assert len(submits(ww, "imagine")) == 1, "never submitted again"
    assert polls >= 1
    assert "resuming 1 unfinished Midjourney task" in stderr.decode()
