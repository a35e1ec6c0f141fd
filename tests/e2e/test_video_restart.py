"""A video survives kill -9: the restarted bot resumes polling and delivers the video once, never submitting twice."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ALICE, start_bot_process

from .test_video import submits, texts, videos


async def test_a_killed_bot_resumes_the_video_and_delivers_it_once(
    tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path
) -> None:
    ww.video_auto_advance = False

    async def start() -> asyncio.subprocess.Process:
        return await start_bot_process(
            tmp_path,
            tg.base_url,
            ww.base_url,
            ALLOWED_USER_IDS=str(ALICE),
            VIDEO_POLL_INTERVAL="0.1",
            MJ_PROGRESS_INTERVAL="0",
        )

    first = await start()
    try:
        tg.send_text(ALICE, "/video a kite over the sea", user_id=ALICE)
        await tg.wait_for(lambda: any("⏳" in t for t in texts(tg, ALICE)), timeout=20)
        [task_id] = list(ww.video_tasks)
        ww.video_advance(task_id, 1)  # running: the progress message is edited
        await tg.wait_for(lambda: any(c.ok for c in tg.calls_of("editMessageText")), timeout=10)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()

    ww.video_finish(task_id)
    second = await start()
    try:
        await tg.wait_for(lambda: len(videos(tg, ALICE)) == 1, timeout=20)
        await tg.wait_for(lambda: not texts(tg, ALICE), timeout=10)  # the old progress message is removed
    finally:
        second.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(second.communicate(), timeout=30)
    [video] = videos(tg, ALICE)
    assert video.file == ww.video_tasks[task_id].content
    assert len(submits(ww)) == 1, "never submitted again"
    assert len(ww.requests_to(f"/v1/videos/{task_id}/content")) == 1
    assert "resuming 1 unfinished video task" in stderr.decode()
