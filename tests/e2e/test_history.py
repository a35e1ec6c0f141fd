"""Conversation history: titles, /history paging and resuming, rename, delete, /export and /find."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from storage import ChatKey
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_methods import StoredMessage
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, BOB, RunningBot

GROUP = -100777


def chat_requests(ww: FakeWenwen) -> list[dict[str, Any]]:
    return [r.json for r in ww.requests_to("/v1/chat/completions")]


def buttons(message: StoredMessage) -> list[tuple[str, str]]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def data_of(message: StoredMessage, label_part: str) -> str:
    return next(data for text, data in buttons(message) if label_part in text)


async def said(tg: FakeTelegram, chat_id: int, text: str, user_id: int = ALICE, **options: Any) -> StoredMessage:
    """Send a message; the bot's next new message once it is final."""
    before = {m.message_id for m in tg.chat_messages(chat_id)}
    tg.send_text(chat_id, text, user_id=user_id, **options)
    await tg.wait_for(
        lambda: any(m.message_id not in before and "▌" not in (m.text or "") for m in tg.chat_messages(chat_id))
    )
    return next(m for m in tg.chat_messages(chat_id) if m.message_id not in before)


async def pressed(
    tg: FakeTelegram, chat_id: int, message: StoredMessage, data: str, user_id: int = ALICE, **options: Any
) -> dict[str, Any]:
    """Press a button; the callback answer's parameters once it came."""
    query_id = tg.press_button(chat_id, message.message_id, data, user_id=user_id, **options)

    def answered() -> list[Any]:
        return [c for c in tg.calls_of("answerCallbackQuery") if c.params.get("callback_query_id") == query_id]

    await tg.wait_for(lambda: bool(answered()))
    return answered()[0].params


async def edited(tg: FakeTelegram, chat_id: int, message_id: int, needle: str) -> StoredMessage:
    """The message once its text holds `needle` (a press edits it after answering the query)."""

    def current() -> StoredMessage | None:
        return tg.get_message(chat_id, message_id)

    await tg.wait_for(lambda: needle in ((current() or StoredMessage(0, 0, None, [], None, "text")).text or ""))
    found = current()
    assert found is not None
    return found


async def seed(bot: RunningBot, chat: ChatKey, messages: list[tuple[str, str, str | None]], *, active: bool) -> int:
    """One conversation with its messages (role, text, attachments JSON), written in one transaction (a restart's
    recovery, running at start, never sees a question without its answer)."""
    async with bot.services.storage.db.transaction() as conn:
        if active:
            await conn.execute(
                "UPDATE conversations SET active = 0 WHERE chat_id = ? AND thread_id = ?",
                (chat.chat_id, chat.thread_id),
            )
        cursor = await conn.execute(
            "INSERT INTO conversations (chat_id, thread_id, created_at, active) VALUES (?, ?, ?, ?)",
            (chat.chat_id, chat.thread_id, time.time(), int(active)),
        )
        conversation = int(cursor.lastrowid or 0)
        for role, text, attachments in messages:
            await conn.execute(
                "INSERT INTO messages (conversation_id, role, content, created_at, attachments) VALUES (?, ?, ?, ?, ?)",
                (conversation, role, text, time.time(), attachments),
            )
    if active:  # what /history's resume does: the repository's cache learns the new current conversation
        assert await bot.services.storage.conversations.resume(chat, conversation)
    return conversation


async def seed_conversations(bot: RunningBot, chat: ChatKey, count: int) -> list[int]:
    """`count` earlier conversations (question N / answer N), oldest first."""
    return [
        await seed(bot, chat, [("user", f"question {i}", None), ("assistant", f"answer {i}", None)], active=False)
        for i in range(count)
    ]


async def test_the_title_is_asked_for_after_the_first_answer_and_never_blocks_it(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any]
) -> None:
    bot = await make_bot(title_model="gpt-4o")
    hold = asyncio.Event()
    ww.script(Reply(text="It is sunny in Paris."), Reply(text='Title: "Paris Weather Today."', hold=hold))
    answer = await said(tg, ALICE, "What is the weather in Paris?")
    assert answer.text == "It is sunny in Paris."
    await ww.wait_for(lambda: len(chat_requests(ww)) == 2)  # the title request is made and held …
    title_request = chat_requests(ww)[1]
    assert title_request["model"] == "gpt-4o" and title_request["stream"] is False
    assert "What is the weather in Paris?" in title_request["messages"][-1]["content"]
    listing = await said(tg, ALICE, "/history")  # … and the chat goes on meanwhile
    assert "What is the weather in Paris?" in (listing.text or "")
    hold.set()
    await bot.services.history.titles.idle()
    listing = await said(tg, ALICE, "/history")
    assert "Paris Weather Today" in (listing.text or "") and "📍" in (listing.text or "")
    follow_up = await said(tg, ALICE, "And tomorrow?")
    assert follow_up.text == "echo: And tomorrow?"
    await bot.services.history.titles.idle()
    assert len(chat_requests(ww)) == 3  # no second title for the same conversation
    usage = await said(tg, ALICE, "/usage")
    assert "gpt-4o" in (usage.text or "").replace("gpt-4o-mini", "")  # the title's tokens are counted


async def test_a_failed_title_request_is_ignored(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any]
) -> None:
    bot = await make_bot(title_model="gpt-4o")
    ww.script(Reply(text="Answer."), Reply(status=500, error_message="boom"), Reply(status=500, error_message="boom"))
    assert (await said(tg, ALICE, "A question about owls")).text == "Answer."
    await ww.wait_for(lambda: len(chat_requests(ww)) >= 2)
    await bot.services.history.titles.idle()
    listing = await said(tg, ALICE, "/history")
    assert "A question about owls" in (listing.text or "")


async def test_history_pages_by_eight_and_resuming_continues_the_old_conversation(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ids = await seed_conversations(bot, ChatKey(ALICE), 10)
    listing = await said(tg, ALICE, "/history")
    assert "page 1 of 2" in (listing.text or "")
    labels = [text for text, data in buttons(listing) if data.startswith("hist:o:")]
    assert len(labels) == 8 and "question 9" in labels[0] and "question 2" in labels[-1]
    assert [text for text, _ in buttons(listing) if text in ("◀", "▶")] == ["▶"]
    await pressed(tg, ALICE, listing, data_of(listing, "▶"))
    page_two = await edited(tg, ALICE, listing.message_id, "page 2 of 2")
    assert [text for text, data in buttons(page_two) if data.startswith("hist:o:")] == [
        "9. question 1",
        "10. question 0",
    ]
    assert [text for text, _ in buttons(page_two) if text in ("◀", "▶")] == ["◀"]

    answer = await pressed(tg, ALICE, page_two, data_of(page_two, "question 1"))
    assert "Continuing" in answer.get("text", "")
    assert await bot.services.storage.conversations.active(ChatKey(ALICE)) == ids[1]
    await edited(tg, ALICE, listing.message_id, "Continuing")
    assert (await said(tg, ALICE, "and more?")).text == "echo: and more?"
    assert chat_requests(ww)[-1]["messages"] == [
        {"role": "user", "content": "question 1"},
        {"role": "assistant", "content": "answer 1"},
        {"role": "user", "content": "and more?"},
    ]
    listing = await said(tg, ALICE, "/history")
    assert "📍 question 1" in next(text for text, _ in buttons(listing) if "question 1" in text)


async def test_new_keeps_the_old_conversation_in_history(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    await said(tg, ALICE, "first topic")
    await said(tg, ALICE, "/new")
    await said(tg, ALICE, "second topic")
    listing = await said(tg, ALICE, "/history")
    assert [text for text, data in buttons(listing) if data.startswith("hist:o:")] == [
        "1. 📍 second topic",
        "2. first topic",
    ]


async def test_rename_by_force_reply(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    await said(tg, ALICE, "an old question")
    listing = await said(tg, ALICE, "/history")
    await pressed(tg, ALICE, listing, data_of(listing, "an old question"))
    opened = await edited(tg, ALICE, listing.message_id, "Continuing")
    question_count = len(tg.chat_messages(ALICE))
    await pressed(tg, ALICE, opened, data_of(opened, "Rename"))
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) > question_count)
    question = tg.chat_messages(ALICE)[-1]
    assert tg.calls_of("sendMessage")[-1].params["reply_markup"]["force_reply"] is True
    done = await said(tg, ALICE, "  My   renamed\nchat ", reply_to_message_id=question.message_id)
    assert "Renamed to My renamed chat" in (done.text or "")
    listing = await said(tg, ALICE, "/history")
    assert "My renamed chat" in (listing.text or "")
    assert len(chat_requests(ww)) == 1  # the reply was a title, not a question for the model
    again = await said(tg, ALICE, "late", reply_to_message_id=question.message_id)  # answered already
    assert "expired" in (again.text or "")


async def test_delete_asks_first_then_deletes(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ids = await seed_conversations(bot, ChatKey(ALICE), 2)
    listing = await said(tg, ALICE, "/history")
    await pressed(tg, ALICE, listing, data_of(listing, "question 0"))
    opened = await edited(tg, ALICE, listing.message_id, "Continuing")
    await pressed(tg, ALICE, opened, data_of(opened, "Delete"))
    confirm = await edited(tg, ALICE, listing.message_id, "for good")
    assert await bot.services.history.get(ChatKey(ALICE), ids[0]) is not None  # nothing deleted yet
    yes = data_of(confirm, "Yes")
    await pressed(tg, ALICE, confirm, yes)
    await edited(tg, ALICE, listing.message_id, "Deleted")
    assert await bot.services.history.get(ChatKey(ALICE), ids[0]) is None
    assert await bot.services.storage.history.search(ChatKey(ALICE), ["question 0"]) == []
    # the deleted one was current: the next message starts a fresh conversation
    assert (await said(tg, ALICE, "fresh start")).text == "echo: fresh start"
    assert chat_requests(ww)[-1]["messages"] == [{"role": "user", "content": "fresh start"}]
    stale = await pressed(tg, ALICE, confirm, yes, allow_unknown_data=True)
    assert "no longer exists" in stale.get("text", "")


async def test_export_sends_the_conversation_as_markdown(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.script(Reply(text="A **cat** on a mat."))
    turns = [("user", "Look: what/is this?", '["photo-1"]'), ("assistant", "A **cat** on a mat.", None)]
    await seed(bot, ChatKey(ALICE), turns, active=True)
    document = await said(tg, ALICE, "/export")
    assert document.kind == "document" and document.file is not None
    assert document.raw["document"]["file_name"] == "Look-what-is-this.md"
    text = document.file.decode()
    assert text.startswith("# Look: what/is this?\n")
    assert "### User · " in text and " UTC\n\n[image]\n\nLook: what/is this?" in text
    assert "### Assistant · " in text and "A **cat** on a mat." in text
    empty_chat = await said(tg, BOB, "/export", user_id=BOB)
    assert "nothing to export" in (empty_chat.text or "")


async def test_find_by_text_resumes_and_survives_hostile_queries(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ids = await seed_conversations(bot, ChatKey(ALICE), 3)
    repo = bot.services.storage.conversations
    await repo.add_message(ids[1], "user", 'the giraffe said "NEAR(" * hello', token_estimate=4)
    found = await said(tg, ALICE, "/find Giraffe")
    assert "giraffe" in (found.text or "").lower() and "<b>" not in (found.text or "")
    assert any(entity["type"] == "bold" for entity in found.entities)
    assert [data for _, data in buttons(found)] == [f"hist:o:{ids[1]}"]
    for hostile in ['"', "NEAR(", "*", '" OR "', "giraffe AND (", "%_"]:
        reply = await said(tg, ALICE, f"/find {hostile}")
        assert reply.text  # a result or "nothing found", never an error
    assert "Something went wrong" not in " ".join(m.text or "" for m in tg.chat_messages(ALICE))
    quoted = await said(tg, ALICE, '/find "NEAR("')
    assert [data for _, data in buttons(quoted)] == [f"hist:o:{ids[1]}"]
    await pressed(tg, ALICE, found, f"hist:o:{ids[1]}")
    assert await repo.active(ChatKey(ALICE)) == ids[1]
    assert "Nothing found" in ((await said(tg, ALICE, "/find zebra")).text or "")
    assert "/find" in ((await said(tg, ALICE, "/find")).text or "")


async def test_in_groups_only_admins_resume_rename_and_delete(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    group = ChatKey(GROUP)
    ids = await seed_conversations(bot, group, 2)
    listing = await said(tg, GROUP, "/history", user_id=BOB, chat_type="supergroup")
    current = await bot.services.storage.conversations.active(group)
    refused = await pressed(tg, GROUP, listing, f"hist:o:{ids[0]}", user_id=BOB)
    assert "administrators" in refused.get("text", "") and refused.get("show_alert") is True
    for action in ("d", "y", "r"):
        refused = await pressed(tg, GROUP, listing, f"hist:{action}:{ids[0]}", user_id=BOB, allow_unknown_data=True)
        assert "administrators" in refused.get("text", "")
    assert await bot.services.history.get(group, ids[0]) is not None
    assert await bot.services.storage.conversations.active(group) == current
    document = await said(tg, GROUP, "/export", user_id=BOB, chat_type="supergroup")  # reading stays open
    assert "nothing to export" in (document.text or "")
    tg.set_member(GROUP, ALICE, "administrator")
    await pressed(tg, GROUP, listing, f"hist:y:{ids[0]}", user_id=ALICE, allow_unknown_data=True)
    await edited(tg, GROUP, listing.message_id, "Deleted")
    assert await bot.services.history.get(group, ids[0]) is None


async def test_forged_and_foreign_history_buttons_are_refused(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    others = await seed_conversations(bot, ChatKey(BOB), 1)
    await seed_conversations(bot, ChatKey(ALICE), 1)
    listing = await said(tg, ALICE, "/history")
    for forged in ("hist:o:abc", "hist:x:1", "hist:o:", "hist:p:99999", "hist:o:1:2", "hist:o:²", "hist:"):
        answer = await pressed(tg, ALICE, listing, forged, allow_unknown_data=True)
        assert "no longer valid" in answer.get("text", ""), forged
    foreign = await pressed(tg, ALICE, listing, f"hist:y:{others[0]}", allow_unknown_data=True)  # Bob's
    assert "no longer exists" in foreign.get("text", "")
    assert await bot.services.history.get(ChatKey(BOB), others[0]) is not None
    far_page = await pressed(tg, ALICE, listing, "hist:p:50", allow_unknown_data=True)  # past the end: the last
    assert "text" not in far_page or not far_page["text"]
    await pressed(tg, ALICE, listing, "hist:o:1", inaccessible=True, allow_unknown_data=True)  # a message too old


async def test_the_title_respects_the_daily_limits(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any]
) -> None:
    bot = await make_bot(title_model="gpt-4o", daily_request_limit=1)
    assert (await said(tg, ALICE, "the only question today")).text == "echo: the only question today"
    await bot.services.history.titles.idle()
    assert len(chat_requests(ww)) == 1  # the title would pass the limit: not asked for
    listing = await said(tg, ALICE, "/history")
    assert "the only question today" in (listing.text or "")


async def test_a_title_being_written_is_cancelled_cleanly_at_shutdown(
    tg: FakeTelegram, ww: FakeWenwen, make_bot: Callable[..., Any]
) -> None:
    bot = await make_bot(title_model="gpt-4o")
    hold = asyncio.Event()
    ww.script(Reply(text="Answer."), Reply(text="Never Seen Title", hold=hold))
    assert (await said(tg, ALICE, "a question before a restart")).text == "Answer."
    await ww.wait_for(lambda: len(chat_requests(ww)) == 2)
    await bot.stop()
    assert ww.disconnects == 1  # the held title request was closed, not left running
    hold.set()


async def test_a_group_admin_renames_in_a_forum_topic(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    topic = ChatKey(GROUP, 5)
    ids = await seed_conversations(bot, topic, 1)
    await seed_conversations(bot, ChatKey(GROUP), 1)  # the group's other place: not listed in the topic
    listing = await said(tg, GROUP, "/history", chat_type="supergroup", message_thread_id=5)
    tg.set_member(GROUP, ALICE, "administrator")
    assert [data for _, data in buttons(listing) if data.startswith("hist:o:")] == [f"hist:o:{ids[0]}"]
    before = len(tg.chat_messages(GROUP))
    await pressed(tg, GROUP, listing, f"hist:r:{ids[0]}", allow_unknown_data=True)
    await tg.wait_for(lambda: len(tg.chat_messages(GROUP)) > before)
    question = tg.chat_messages(GROUP)[-1]
    assert question.thread_id == 5 and any(e["type"] == "text_mention" or "url" in e for e in question.entities)
    refused = await said(
        tg, GROUP, "Bob's name", user_id=BOB, chat_type="supergroup", reply_to_message_id=question.message_id
    )
    assert "Only the person" in (refused.text or "")
    done = await said(tg, GROUP, "Topic plans", chat_type="supergroup", reply_to_message_id=question.message_id)
    assert "Renamed to Topic plans" in (done.text or "")
    summary = await bot.services.history.get(topic, ids[0])
    assert summary is not None and summary.title == "Topic plans"
