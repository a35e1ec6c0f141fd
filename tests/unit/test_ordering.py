"""The update processor: a flooding chat holds no process-wide slot; order within a chat; strangers skip queues."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.core.access import REFUSAL_INTERVAL, StrangerReplies
from bot.ordering import CONTROL_BACKLOG, CONTROL_LANE, PerChatUpdateProcessor

ALLOWED = {1, 2}


def message_update(update_id: int, chat_id: int, user_id: int, text: str = "hi") -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": "u"},
                "text": text,
            },
        },
        None,
    )


def press_update(update_id: int, chat_id: int, user_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "callback_query": {
                "id": str(update_id),
                "chat_instance": "x",
                "data": "cfg:tools",
                "from": {"id": user_id, "is_bot": False, "first_name": "u"},
                "message": {"message_id": 1, "date": 0, "chat": {"id": chat_id, "type": "private"}, "text": "menu"},
            },
        },
        None,
    )


async def settle() -> None:
    """Let every runnable task run until it blocks (loop iterations, not wall time)."""
    for _ in range(50):
        await asyncio.sleep(0)


class Recorder:
    def __init__(self) -> None:
        self.started: list[int] = []
        self.release = asyncio.Event()

    async def blocking(self, update_id: int) -> None:
        self.started.append(update_id)
        await self.release.wait()

    async def quick(self, update_id: int) -> None:
        self.started.append(update_id)


async def test_a_chat_with_a_long_queue_holds_no_slot_and_another_chat_runs_at_once() -> None:
    processor = PerChatUpdateProcessor(4, admits=lambda user, _chat: user in ALLOWED)
    recorder = Recorder()
    flood = [
        asyncio.create_task(processor.process_update(message_update(n, 1, 1), recorder.blocking(n)))
        for n in range(50)
    ]
    await settle()
    assert recorder.started == [0]  # in order: the rest wait for the chat's turn
    other = asyncio.create_task(processor.process_update(message_update(100, 2, 2), recorder.quick(100)))
    await asyncio.wait_for(other, 1)  # with PTB's order (slot first) this waits forever: 4 slots are taken
    assert recorder.started == [0, 100]
    recorder.release.set()
    await asyncio.gather(*flood)
    assert recorder.started == [0, 100, *range(1, 50)]


async def test_strangers_skip_the_chats_queue() -> None:
    processor = PerChatUpdateProcessor(4, admits=lambda user, _chat: user in ALLOWED)
    recorder = Recorder()
    busy = asyncio.create_task(processor.process_update(message_update(1, 1, 1), recorder.blocking(1)))
    await settle()
    stranger = asyncio.create_task(processor.process_update(message_update(2, 1, 666), recorder.quick(2)))
    await asyncio.wait_for(stranger, 1)
    assert recorder.started == [1, 2]
    recorder.release.set()
    await busy


async def test_a_flood_of_button_presses_uses_a_small_lane_and_the_excess_is_dropped() -> None:
    processor = PerChatUpdateProcessor(8, admits=lambda user, _chat: user in ALLOWED)
    recorder = Recorder()
    presses = [
        asyncio.create_task(processor.process_update(press_update(n, 1, 1), recorder.blocking(n))) for n in range(100)
    ]
    await settle()
    assert len(recorder.started) == CONTROL_LANE
    other = asyncio.create_task(processor.process_update(message_update(500, 2, 2), recorder.quick(500)))
    await asyncio.wait_for(other, 1)
    recorder.release.set()
    await asyncio.gather(*presses)
    pressed = [n for n in recorder.started if n != 500]
    assert len(pressed) == CONTROL_LANE + CONTROL_BACKLOG  # the rest of the flood was dropped
    assert pressed == sorted(pressed)


async def test_a_message_waiting_for_its_chat_can_be_cancelled_without_a_never_awaited_warning() -> None:
    processor = PerChatUpdateProcessor(4, admits=lambda user, _chat: user in ALLOWED)
    recorder = Recorder()
    first = asyncio.create_task(processor.process_update(message_update(1, 1, 1), recorder.blocking(1)))
    await settle()
    waiting = asyncio.create_task(processor.process_update(message_update(2, 1, 1), recorder.quick(2)))
    await settle()
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    recorder.release.set()
    await first
    assert recorder.started == [1]


def test_a_stranger_is_told_again_only_after_a_minute() -> None:
    now = [1000.0]
    replies = StrangerReplies(clock=lambda: now[0])
    assert replies.should_tell(7)
    assert not replies.should_tell(7)
    now[0] += REFUSAL_INTERVAL - 1
    assert not replies.should_tell(7)
    assert replies.should_tell(8)  # another stranger is their own case
    now[0] += 2
    assert replies.should_tell(7)


def test_a_flood_of_made_up_strangers_takes_bounded_memory() -> None:
    replies = StrangerReplies(clock=lambda: 0.0)
    for user_id in range(50_000):
        replies.should_tell(user_id)
    assert len(replies._told) <= 10_000
