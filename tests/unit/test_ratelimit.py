"""The Telegram rate limiter: windows counted the way Telegram can count them, drafts bounded in flight."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.ratelimit import DRAFTS_IN_FLIGHT, PREVIEW, FairRateLimiter, PreviewSkipped, SlidingWindow, Window


def test_a_call_counts_from_its_sending_until_a_period_after_its_answer() -> None:
    window = SlidingWindow(Window(2, 1.0))
    window.take(0.0)
    window.take(0.0)
    assert window.free_at(0.5) == 1.5  # both still on their way: no time to name, a period from now
    window.done(0.7)
    assert window.free_at(0.8) == pytest.approx(1.7)  # the first answered at 0.7 frees its place at 1.7
    window.done(0.9)
    assert window.free_at(1.0) == pytest.approx(1.7)
    assert window.free_at(1.75) == 1.75
    assert not window.idle
    assert window.free_at(2.0) == 2.0 and window.idle


def test_an_album_weighs_one_per_item_and_a_reserve_is_left_to_others() -> None:
    window = SlidingWindow(Window(30, 1.0))
    window.take(0.0, weight=10)
    window.done(0.1, weight=10)
    assert window.free_at(0.2, weight=20) == 0.2
    assert window.free_at(0.2, weight=21) == pytest.approx(1.1)
    assert window.free_at(0.2, reserve=19, weight=1) == 0.2
    assert window.free_at(0.2, reserve=20, weight=1) == pytest.approx(1.1)
    heavy = SlidingWindow(Window(3, 3.0))
    assert heavy.free_at(0.0, weight=10) == 0.0  # heavier than the window: it needs the window empty


async def test_a_slow_call_holds_its_place_until_a_period_after_it_is_answered() -> None:
    """Telegram counts a call when it arrives, which can be any time before its answer."""
    limiter = FairRateLimiter(global_window=Window(1, 0.1))
    loop = asyncio.get_running_loop()
    release = asyncio.Event()
    times: dict[str, float] = {}

    async def slow() -> bool:
        await release.wait()
        times["slow answered"] = loop.time()
        return True

    async def quick() -> bool:
        times["quick sent"] = loop.time()
        return True

    first = asyncio.create_task(limiter.process_request(slow, (), {}, "sendMessage", {"chat_id": 1}, None))
    second = asyncio.create_task(limiter.process_request(quick, (), {}, "sendMessage", {"chat_id": 2}, None))
    for _ in range(20):  # let the limiter decide while the slow call is on its way
        await asyncio.sleep(0)
    assert "quick sent" not in times
    release.set()
    assert await first and await second
    assert times["quick sent"] - times["slow answered"] >= 0.1
    await limiter.shutdown()


async def test_drafts_in_flight_are_bounded_and_the_one_past_the_bound_is_skipped() -> None:
    limiter = FairRateLimiter()
    release = asyncio.Event()
    started = 0

    async def draft() -> bool:
        nonlocal started
        started += 1
        await release.wait()
        return True

    def send() -> Any:
        return limiter.process_request(draft, (), {}, "sendMessageDraft", {"chat_id": 5}, None)

    waiting = [asyncio.create_task(send()) for _ in range(DRAFTS_IN_FLIGHT)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert started == DRAFTS_IN_FLIGHT
    with pytest.raises(PreviewSkipped):
        await send()
    release.set()
    assert all(await asyncio.gather(*waiting))
    assert await send()  # room again once they are answered
    assert started == DRAFTS_IN_FLIGHT + 1


async def test_edits_of_inline_messages_count_in_the_bot_s_window_too() -> None:
    limiter = FairRateLimiter(global_window=Window(1, 0.1))
    loop = asyncio.get_running_loop()
    sent: list[float] = []

    async def edit() -> bool:
        sent.append(loop.time())
        return True

    data = {"inline_message_id": "AAQ-1", "text": "x"}
    assert await limiter.process_request(edit, (), {}, "editMessageText", data, None)
    assert await limiter.process_request(edit, (), {}, "editMessageText", {**data, "inline_message_id": "AAQ-2"}, None)
    assert sent[1] - sent[0] >= 0.1
    await limiter.shutdown()


async def test_previews_leave_a_share_of_a_divided_window_to_finals() -> None:
    """REPLICAS=2 halves the bot's window to 15/s: previews still leave places (a sixth) to finals."""
    limiter = FairRateLimiter(global_window=Window(15, 10.0))

    async def call() -> bool:
        return True

    for chat in range(13):
        assert await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": chat}, None)
    with pytest.raises(PreviewSkipped):
        await limiter.process_request(call, (), {}, "editMessageText", {"chat_id": 99}, PREVIEW)
    assert await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 99}, None)
    await limiter.shutdown()
