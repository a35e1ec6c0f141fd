"""`Database.write`: one statement without BEGIN/COMMIT around it (one trip on SQLite), on both backends —
an answer row is begun only after an unanswered question, once however many race, and a write whose task
is cancelled still lands whole before the next one."""

from __future__ import annotations

import asyncio

import pytest

from storage import ChatKey, Storage

CHAT = ChatKey(7, 0)


async def test_an_answer_is_begun_only_after_a_question_and_once_however_many_race(store: Storage) -> None:
    conversations = store.conversations
    conversation = await conversations.active(CHAT)
    assert await conversations.begin_answer(conversation) is None  # nothing asked yet
    await conversations.add_message(conversation, "user", "你好", token_estimate=2, user_id=7)
    begun = await asyncio.gather(*(conversations.begin_answer(conversation) for _ in range(12)))
    rows = [row for row in begun if row is not None]
    assert len(rows) == 1  # the check and the insert are one statement: one winner
    window = await conversations.window(conversation, 10_000)
    assert [(m.role, m.status.value) for m in window] == [("user", "complete"), ("assistant", "pending")]
    assert window[-1].id == rows[0]


async def test_a_cancelled_single_write_lands_whole_before_the_next(store: Storage) -> None:
    conversations = store.conversations
    conversation = await conversations.active(CHAT)
    await conversations.add_message(conversation, "user", "q", token_estimate=1, user_id=7)
    answer = await conversations.begin_answer(conversation)
    assert answer is not None
    for steps in range(6):  # cancel after 0, 1, … turns of the loop
        task = asyncio.create_task(conversations.checkpoint(answer, f"so far {steps}"))
        for _ in range(steps):
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await conversations.checkpoint(answer, f"then {steps}")  # the writer takes the next at once
        window = await conversations.window(conversation, 10_000)
        assert window[-1].content == f"then {steps}"  # the cancelled one, if it ran, ran before
