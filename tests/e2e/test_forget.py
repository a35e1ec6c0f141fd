"""/forget: after a confirm step, nothing stored about the user is left but a denial; in groups their
messages become [deleted] in place; the buttons answer only the user who asked."""

from __future__ import annotations

import time
from typing import Any

import pytest

from storage import ChatKey
from storage.erasure import DELETED_TEXT
from tests.e2e.test_history import buttons, data_of, edited, pressed, said
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_methods import StoredMessage
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ADMIN, ALICE, BOB, RunningBot
from tests.postgres import BACKENDS
from tests.rows_with import rows_with

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)  # on SQLite and on PostgreSQL

GROUP = -100424
CAROL = 1003  # allowed by an admin's /allow only


async def group_said(tg: FakeTelegram, text: str, user_id: int) -> StoredMessage:
    return await said(tg, GROUP, f"@{tg.bot_user['username']} {text}", user_id=user_id, chat_type="supergroup")


async def contents(bot: RunningBot, chat_id: int) -> list[tuple[str, str, int | None]]:
    """(role, text, user id) of every message of the chat's conversations, in order."""
    async with bot.services.storage.db.read() as conn:
        async with conn.execute(
            "SELECT m.role, m.content, m.user_id FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.chat_id = ? ORDER BY m.id",
            (chat_id,),
        ) as cursor:
            return [(str(r[0]), str(r[1]), r[2]) for r in await cursor.fetchall()]


async def seed_tasks(bot: RunningBot, user_id: int, chat_id: int) -> None:
    """A Midjourney task being submitted and a finished video task, as /imagine and /video leave them."""
    await bot.services.storage.mj.create(ChatKey(chat_id), user_id, "en", "IMAGINE", "a cat in the rain")
    now = time.time()
    async with bot.services.storage.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO tasks (kind, chat_id, user_id, state, created_at, updated_at, payload) "
            "VALUES ('video', ?, ?, 'delivered', ?, ?, ?)",
            (chat_id, user_id, now, now, f'{{"chat": {chat_id}}}'),
        )


async def question(tg: FakeTelegram, chat_id: int, user_id: int, **options: Any) -> StoredMessage:
    prompt = await said(tg, chat_id, "/forget", user_id=user_id, **options)
    assert [data for _, data in buttons(prompt)] == [f"fgt:y:{user_id}", f"fgt:n:{user_id}"]
    return prompt


async def test_forget_in_private_leaves_no_row_with_the_users_id_and_says_what_went(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    await said(tg, ADMIN, f"/allow {ALICE}", user_id=ADMIN)  # a stored grant (she is allowed anyway)
    await said(tg, ADMIN, f"/limit {ALICE} requests 40", user_id=ADMIN)
    await said(tg, ADMIN, f"/allow {BOB}", user_id=ADMIN)
    assert (await said(tg, ALICE, "my secret plan")).text == "echo: my secret plan"
    await said(tg, ALICE, "/new")
    await said(tg, ALICE, "another thought")
    await said(tg, ALICE, "/system Answer like a pirate.")
    await said(tg, ALICE, "/model gpt-4o")
    await group_said(tg, "alice says hi to the group", ALICE)
    await group_said(tg, "bob answers", BOB)
    await seed_tasks(bot, ALICE, ALICE)
    await seed_tasks(bot, ALICE, GROUP)
    await seed_tasks(bot, BOB, GROUP)
    assert await rows_with(bot.services.storage.db, ALICE)  # there is plenty to find before

    prompt = await question(tg, ALICE, ALICE)
    assert "cannot be undone" in (prompt.text or "")
    cancel = await pressed(tg, ALICE, prompt, f"fgt:n:{ALICE}")
    assert cancel.get("text") is None
    assert "Nothing was deleted" in ((await edited(tg, ALICE, prompt.message_id, "Nothing")).text or "")
    assert len(await contents(bot, ALICE)) == 4  # two questions, two answers: all still there

    prompt = await question(tg, ALICE, ALICE)
    answer = await said(tg, ALICE, "one more before I go")
    for forged in (f"fgt:y:{ALICE}", "fgt:y:abc", f"fgt:x:{ALICE}", "fgt:y:", f"fgt:y:{ALICE}:1", "fgt:y:0"):
        refused = await pressed(tg, ALICE, answer, forged, allow_unknown_data=True)  # not on the question
        assert "no longer valid" in refused.get("text", ""), forged
    assert len(await contents(bot, ALICE)) == 6

    toast = await pressed(tg, ALICE, prompt, data_of(prompt, "Yes"))
    assert "Deleting" in toast.get("text", "")
    done = await edited(tg, ALICE, prompt.message_id, "Done")
    text = done.text or ""
    assert "conversations: 2 (6 messages)" in text and "chat settings: 1" in text
    assert "own daily limits: 1" in text and "access grants: 1" in text and "image and video tasks: 4" in text
    assert "your messages in groups, now [deleted]: 1" in text
    assert not buttons(done)

    assert await rows_with(bot.services.storage.db, ALICE) == []  # every table, every column
    assert await contents(bot, GROUP) == [
        ("user", DELETED_TEXT, None),
        ("assistant", "echo: alice says hi to the group", None),
        ("user", "bob answers", BOB),
        ("assistant", "echo: bob answers", None),
    ]
    assert await rows_with(bot.services.storage.db, BOB)  # Bob's rows are his own business
    again = await pressed(tg, ALICE, done, f"fgt:y:{ALICE}", allow_unknown_data=True)  # a late double tap
    assert "no longer valid" in again.get("text", "")
    # the bot carries on for her from nothing: default model, no system prompt, a new conversation
    assert (await said(tg, ALICE, "hello again")).text == "echo: hello again"
    [request] = [r.json for r in ww.requests_to("/v1/chat/completions")][-1:]
    assert request["model"] != "gpt-4o" and [m["content"] for m in request["messages"]] == ["hello again"]
    # /find no longer finds her message (only the bot's own answer, which quoted her, is the bot's)
    matches = await bot.services.storage.history.search(ChatKey(GROUP), ["alice says"])
    roles = {
        m.role
        for m in await bot.services.storage.conversations.all_messages(matches[0].conversation_id)
        if m.id in {match.message_id for match in matches}
    }
    assert roles == {"assistant"}


async def test_forget_in_a_group_replaces_only_the_askers_messages_there_and_refuses_others(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    await group_said(tg, "alice's first", ALICE)
    await group_said(tg, "bob's words", BOB)
    await group_said(tg, "alice's second", ALICE)
    await said(tg, ALICE, "private talk stays")
    await seed_tasks(bot, ALICE, GROUP)

    prompt = await question(tg, GROUP, ALICE, chat_type="supergroup")
    assert "this group" in (prompt.text or "")
    not_bobs = await pressed(tg, GROUP, prompt, f"fgt:y:{ALICE}", user_id=BOB)
    assert not_bobs.get("show_alert") and "Only the person who sent /forget" in not_bobs.get("text", "")
    cancel_by_bob = await pressed(tg, GROUP, prompt, f"fgt:n:{ALICE}", user_id=BOB)
    assert "Only the person" in cancel_by_bob.get("text", "")
    forged = await pressed(tg, GROUP, prompt, f"fgt:y:{BOB}", user_id=BOB, allow_unknown_data=True)
    assert "no longer valid" in forged.get("text", "")
    assert [text for _, text, _ in await contents(bot, GROUP)][::2] == [
        "alice's first",
        "bob's words",
        "alice's second",
    ]

    await pressed(tg, GROUP, prompt, f"fgt:y:{ALICE}")
    done = await edited(tg, GROUP, prompt.message_id, "Done")
    assert "2 of your messages" in (done.text or "") and "2 image or video task" in (done.text or "")
    assert await contents(bot, GROUP) == [
        ("user", DELETED_TEXT, None),
        ("assistant", "echo: alice's first", None),
        ("user", "bob's words", BOB),
        ("assistant", "echo: bob's words", None),
        ("user", DELETED_TEXT, None),
        ("assistant", "echo: alice's second", None),
    ]
    left = await rows_with(bot.services.storage.db, ALICE)
    assert left and all(found.table != "tasks" for found in left)
    assert {found.table for found in left} <= {"conversations", "messages", "usage_daily", "mj_tasks"}
    assert [(t, c) for t, c, _ in await contents(bot, ALICE)][:1] == [("user", "private talk stays")]
    # the group's history reads on: the next request has the placeholders where her words were
    await group_said(tg, "what did alice say?", BOB)
    sent = [r.json for r in ww.requests_to("/v1/chat/completions")][-1]["messages"]
    assert [m["content"] for m in sent if m["role"] == "user"] == [
        DELETED_TEXT,
        "bob's words",
        DELETED_TEXT,
        "what did alice say?",
    ]


async def test_forgetting_a_grant_that_was_the_only_way_in_says_so_and_ends_access(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    await said(tg, ADMIN, f"/allow {CAROL}", user_id=ADMIN)
    assert (await said(tg, CAROL, "hi", user_id=CAROL)).text == "echo: hi"
    prompt = await question(tg, CAROL, CAROL, language_code="zh-hans")  # in her language
    assert "重新申请" in (prompt.text or "") and [text for text, _ in buttons(prompt)] == ["🗑 确认删除", "取消"]
    await pressed(tg, CAROL, prompt, f"fgt:y:{CAROL}", user_id=CAROL, language_code="zh-hans")
    done = await edited(tg, CAROL, prompt.message_id, "已永久删除")
    assert "访问授权：1" in (done.text or "") and "联系管理员" in (done.text or "")
    assert await rows_with(bot.services.storage.db, CAROL) == []
    refused = await said(tg, CAROL, "still there?", user_id=CAROL)
    assert "private" in (refused.text or "") and str(CAROL) in (refused.text or "")
    assert CAROL not in bot.services.access.listing().granted
