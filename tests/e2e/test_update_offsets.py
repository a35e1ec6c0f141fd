"""A stop loses nothing a user sent: what it never took is redelivered by Telegram, what it took it finishes.

Telegram keeps an update until a getUpdates with a higher offset confirms it; the fake does the same
(updates below the offset are dropped for good, the others are handed out again). PTB's Updater confirms
a batch with its next poll, and at a stop makes one last getUpdates with the offset of what it took (its
answer is thrown away, unconfirmed); the Application then handles every update it took before it stops.
So an update that arrives during the stop is left to the next start, and one that was taken but not yet
handled is handled before the process ends — including work a handler left for later (an album's
parts wait ALBUM_WINDOW for each other: a stop in that window answers them at once).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from storage import ChatKey, MessageStatus
from tests.attacks.answers import redelivered
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, BOB, RunningBot
from tests.images import jpeg


async def until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    """Wait for a state of the bot itself (no call to the fakes need mark it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        assert loop.time() < deadline, "condition not met"
        await asyncio.sleep(0.01)


def texts(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or m.caption or "" for m in tg.chat_messages(chat_id) if m.from_bot]


def handed_out(tg: FakeTelegram) -> Counter[int]:
    """How often each update id was in a getUpdates answer (to any process)."""
    return Counter(u["update_id"] for c in tg.calls_of("getUpdates") if c.ok for u in c.result or [])


async def stored_user_texts(bot: RunningBot, chat_id: int) -> list[str]:
    async with bot.services.storage.db.read() as conn:
        async with conn.execute(
            "SELECT m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.chat_id = ? AND m.role = 'user' ORDER BY m.id",
            (chat_id,),
        ) as cursor:
            return [str(row[0]) for row in await cursor.fetchall()]


async def test_a_message_sent_after_the_stop_began_is_answered_once_after_the_next_start(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any]
) -> None:
    first: RunningBot = await make_bot(shutdown_grace=2.0)
    hold = asyncio.Event()
    ww.script(Reply(text="a long answer, cut by the restart", chunks=6, hold=hold))
    tg.send_text(ALICE, "tell me everything", user_id=ALICE)
    await ww.wait_for(lambda: ww.streams_open == 1)
    stopping = asyncio.create_task(first.stop())  # the answer holds the stop in its grace period …
    assert first.app is not None
    app = first.app
    await until(lambda: not app.running and app.updater is not None and not app.updater.running)
    assert not stopping.done()  # still in the answer's grace
    sent = tg.next_update_id
    tg.send_text(BOB, "are you there?", user_id=BOB)  # … and Bob writes now: the bot takes no more updates
    await stopping
    hold.set()
    assert [u["update_id"] for u in tg.updates] == [sent]  # not confirmed: Telegram keeps it
    assert texts(tg, BOB) == []
    await make_bot()
    await tg.wait_for(lambda: texts(tg, BOB) == ["echo: are you there?"])
    await asyncio.sleep(0.5)  # nothing more comes: no second answer from a recovery
    assert texts(tg, BOB) == ["echo: are you there?"]
    assert tg.updates == [] and handed_out(tg)[sent] == 1
    assert "interrupted by a restart" in texts(tg, ALICE)[-1]


async def test_a_message_in_the_last_getupdates_answer_is_not_confirmed_and_comes_again(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any]
) -> None:
    first: RunningBot = await make_bot()
    sent: list[int] = []

    def during_the_last_poll(params: dict[str, Any]) -> None:
        if str(params.get("timeout")) == "0" and not sent:  # the Updater's final, non-waiting getUpdates
            sent.append(tg.next_update_id)
            tg.send_text(ALICE, "just in time?", user_id=ALICE)

    tg.on_poll = during_the_last_poll
    await first.stop()
    tg.on_poll = None
    assert sent and handed_out(tg)[sent[0]] == 1  # the stopping process was given it …
    assert [u["update_id"] for u in tg.updates] == sent  # … threw it away and did not confirm it
    assert texts(tg, ALICE) == []
    second: RunningBot = await make_bot()
    await tg.wait_for(lambda: texts(tg, ALICE) == ["echo: just in time?"])
    await asyncio.sleep(0.5)
    assert texts(tg, ALICE) == ["echo: just in time?"]
    assert await stored_user_texts(second, ALICE) == ["just in time?"]
    assert tg.updates == []


async def test_updates_taken_but_not_yet_handled_at_the_stop_are_handled_and_answered_once(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any]
) -> None:
    first: RunningBot = await make_bot()
    slow_telegram = tg.hold("getFile")  # the document's handler waits for Telegram, holding Alice's lane
    tg.send_media(ALICE, "document", b"the report says hello", file_name="report.txt", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.calls_of("getFile")))
    first_queued = tg.next_update_id
    tg.send_text(ALICE, "one", user_id=ALICE)
    tg.send_text(ALICE, "two", user_id=ALICE)
    tg.send_text(BOB, "meanwhile", user_id=BOB)  # another chat is not held up
    await tg.wait_for(lambda: texts(tg, BOB) == ["echo: meanwhile"])
    assert tg.updates == []  # taken and confirmed by the next poll: only this process has them now
    assert first_queued in handed_out(tg)
    stopping = asyncio.create_task(first.stop())
    await asyncio.sleep(0.3)
    assert not stopping.done()  # the stop waits for what it took …
    slow_telegram.set()
    await asyncio.wait_for(stopping, 15)
    second: RunningBot = await make_bot()
    # … and everything Alice sent is stored once and answered: by the first process within its grace,
    # or by the second one's recovery
    stored = await stored_user_texts(second, ALICE)
    assert len(stored) == 3 and stored[1:] == ["one", "two"]

    async def settled() -> bool:
        conversation = await second.services.storage.conversations.active(ChatKey(ALICE))
        [last] = await second.services.storage.conversations.last_messages(conversation, 1)
        return last.role == "assistant" and last.status == MessageStatus.COMPLETE and last.delivered

    for _ in range(100):
        if await settled():
            break
        await asyncio.sleep(0.1)
    assert await settled()
    assert redelivered(tg) == []  # no update was handed to the bot twice
    assert tg.updates == []


async def test_an_album_taken_just_before_the_stop_is_answered_not_dropped(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any]
) -> None:
    first: RunningBot = await make_bot()
    tg.send_media(ALICE, "photo", jpeg(1), caption="compare", media_group_id="al1", user_id=ALICE)
    tg.send_media(ALICE, "photo", jpeg(2), media_group_id="al1", user_id=ALICE)
    await tg.wait_for(lambda: tg.updates == [])  # both taken (and confirmed); the album waits for more parts
    await first.stop()  # within the album's window
    await make_bot()
    await tg.wait_for(lambda: texts(tg, ALICE) == ["echo: compare"], timeout=15)
    [request] = [r.json for r in ww.requests_to("/v1/chat/completions")]
    parts = request["messages"][-1]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "image_url"]
