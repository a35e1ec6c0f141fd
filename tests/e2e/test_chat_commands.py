"""/retry, /system, forum topics, reply quotes, languages, and Telegram refusing things."""

from __future__ import annotations

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ADMIN, ALICE, BOB, RunningBot
from tests.postgres import BACKENDS

# the representative end-to-end slice that runs on PostgreSQL too (tests/postgres.py)
pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

FORUM = -1001234567890


def chat_requests(ww: FakeWenwen) -> list[dict]:
    return [r.json for r in ww.requests_to("/v1/chat/completions")]


async def test_retry_regenerates_the_last_answer_and_drops_the_old_one_from_context(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ww.script(Reply(text="Bad answer."), Reply(text="Better answer."), Reply(text="Third."))
    tg.send_text(ALICE, "question", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    tg.send_text(ALICE, "/retry", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    assert tg.chat_messages(ALICE)[-1].text == "Better answer."
    assert chat_requests(ww)[1]["messages"] == [{"role": "user", "content": "question"}]

    tg.send_text(ALICE, "next", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 3)
    assert chat_requests(ww)[2]["messages"] == [
        {"role": "user", "content": "question"},
        {"role": "assistant", "content": "Better answer."},
        {"role": "user", "content": "next"},
    ]


async def test_retry_with_nothing_to_retry_says_so(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.send_text(ALICE, "/retry", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert "nothing" in tg.chat_messages(ALICE)[0].text.lower()
    assert not ww.requests_to("/v1/chat/completions")


async def test_system_prompt_is_sent_first_and_can_be_cleared(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_text(ALICE, "/system You are a pirate. Answer <briefly> & loudly.", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    tg.send_text(ALICE, "/system", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    assert "You are a pirate. Answer <briefly> & loudly." in tg.chat_messages(ALICE)[-1].text
    tg.send_text(ALICE, "ahoy", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 3)
    assert chat_requests(ww)[0]["messages"][0] == {
        "role": "system",
        "content": "You are a pirate. Answer <briefly> & loudly.",
    }
    tg.send_text(ALICE, "/system clear", user_id=ALICE)
    tg.send_text(ALICE, "hello", user_id=ALICE)
    await tg.wait_for(lambda: len(ww.requests_to("/v1/chat/completions")) == 2)
    assert chat_requests(ww)[1]["messages"][0]["role"] == "user"


async def test_each_forum_topic_is_its_own_conversation(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.send_text(FORUM, "@wenwen_test_bot topic one", user_id=ALICE, chat_type="supergroup", message_thread_id=11)
    await tg.wait_for(lambda: len(tg.chat_messages(FORUM)) == 1)
    tg.send_text(FORUM, "@wenwen_test_bot topic two", user_id=BOB, chat_type="supergroup", message_thread_id=22)
    await tg.wait_for(lambda: len(tg.chat_messages(FORUM)) == 2)
    assert chat_requests(ww)[1]["messages"] == [{"role": "user", "content": "topic two"}]
    assert [m.thread_id for m in tg.chat_messages(FORUM)] == [11, 22]
    tg.send_text(FORUM, "@wenwen_test_bot more in one", user_id=ALICE, chat_type="supergroup", message_thread_id=11)
    await tg.wait_for(lambda: len(tg.chat_messages(FORUM)) == 3)
    assert [m["content"] for m in chat_requests(ww)[2]["messages"]] == [
        "topic one",
        "echo: topic one",
        "more in one",
    ]


async def test_reply_to_the_bot_continues_and_reply_to_an_old_message_quotes_it(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    group = -100555
    someone = tg.send_text(group, "The meeting moved to Friday.", user_id=BOB, chat_type="supergroup")
    tg.send_text(group, "@wenwen_test_bot first", user_id=ALICE, chat_type="supergroup")
    await tg.wait_for(lambda: len(tg.chat_messages(group)) == 1)
    answer = tg.chat_messages(group)[0]
    # a reply to the bot's own (recent) answer triggers it without a mention and adds no quote
    tg.send_text(group, "and then?", user_id=ALICE, chat_type="supergroup", reply_to_message_id=answer.message_id)
    await tg.wait_for(lambda: len(tg.chat_messages(group)) == 2)
    assert chat_requests(ww)[1]["messages"][-1] == {"role": "user", "content": "and then?"}
    # a reply to someone else's message, with a mention, quotes that message
    tg.send_text(
        group, "@wenwen_test_bot when is it?", user_id=ALICE, chat_type="supergroup", reply_to_message_id=someone
    )
    await tg.wait_for(lambda: len(tg.chat_messages(group)) == 3)
    assert chat_requests(ww)[2]["messages"][-1] == {
        "role": "user",
        "content": "> The meeting moved to Friday.\n\nwhen is it?",
    }


async def test_chinese_users_get_chinese_messages(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.script(Reply(status=429, error_message="当前分组上游负载已饱和，请稍后再试"), Reply(status=429))
    tg.send_text(ALICE, "/new", user_id=ALICE, language_code="zh-hans")
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    assert "新的对话" in tg.chat_messages(ALICE)[0].text
    tg.send_text(ALICE, "你好", user_id=ALICE, language_code="zh-hans")
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2, timeout=15)
    assert "网关当前繁忙" in tg.chat_messages(ALICE)[1].text
    assert "请求 ID" in tg.chat_messages(ALICE)[1].text


async def test_flood_wait_on_the_final_message_is_honoured(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1)
    tg.send_text(ALICE, "hi", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)), timeout=15)
    sends = tg.calls_of("sendMessage")
    assert [c.status for c in sends] == [429, 200]
    assert sends[1].time - sends[0].time >= 1.0
    assert tg.chat_messages(ALICE)[0].text == "echo: hi"


async def test_refused_drafts_fall_back_to_edits(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.fail_next("sendMessageDraft", description="Bad Request: method is available only for private chats", times=5)
    ww.script(Reply(text="Streamed by edits instead of drafts, slowly.", chunks=6, delay=0.1))
    tg.send_text(ALICE, "hi", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)) and tg.chat_messages(ALICE)[-1].text.endswith("slowly."))
    assert tg.calls_of("editMessageText")
    assert len(tg.chat_messages(ALICE)) == 1


async def test_refused_formatting_still_delivers_the_text(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.fail_next("sendMessage", description="Bad Request: can't parse entities: unsupported entity")
    ww.script(Reply(text="Some **bold** words."))
    tg.send_text(ALICE, "hi", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    final = tg.chat_messages(ALICE)[0]
    assert final.text == "Some bold words."
    assert final.entities == []


async def test_not_modified_on_a_group_edit_counts_as_success(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    group = -100999
    tg.fail_next(
        "editMessageText",
        description="Bad Request: message is not modified: specified new message content and reply markup are "
        "exactly the same as a current content and reply markup of the message",
    )
    ww.script(Reply(text="Group text arriving in several chunks for edits.", chunks=5, delay=0.6))
    tg.send_text(group, "@wenwen_test_bot go", user_id=ALICE, chat_type="supergroup")
    await tg.wait_for(
        lambda: bool(tg.chat_messages(group)) and tg.chat_messages(group)[0].text.endswith("edits."), timeout=15
    )
    assert any(c.status == 400 for c in tg.calls_of("editMessageText"))
    assert len(tg.chat_messages(group)) == 1
    assert "stop" not in str(tg.chat_messages(group)[0].reply_markup)  # the ⏹ made way for 🔄


async def test_an_edited_message_does_not_start_another_turn(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    message_id = tg.send_text(ALICE, "original", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    original = tg.get_message(ALICE, message_id)
    assert original is not None
    tg.push_update({"edited_message": original.raw | {"text": "edited", "edit_date": 2}})
    tg.send_text(ALICE, "next", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    assert [r.json["messages"][-1]["content"] for r in ww.requests_to("/v1/chat/completions")] == ["original", "next"]


async def test_usage_sums_tokens_per_model_for_the_user(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.script(
        Reply(text="one", usage={"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}),
        Reply(text="two", usage={"prompt_tokens": 20, "completion_tokens": 7, "total_tokens": 27}),
    )
    tg.send_text(ALICE, "first", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    tg.send_text(ALICE, "second", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    tg.send_text(ALICE, "/usage", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 3)
    report = tg.chat_messages(ALICE)[-1].text or ""
    assert report.count("gpt-4o-mini: 2 requests, 30 + 12 tokens") == 2  # today and the last 30 days
    tg.send_text(BOB, "/usage", user_id=BOB)
    await tg.wait_for(lambda: bool(tg.chat_messages(BOB)))
    assert "No usage yet." in (tg.chat_messages(BOB)[0].text or "")


async def test_stats_is_for_admins_only(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.send_text(ALICE, "hello", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    tg.send_text(ALICE, "/stats", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    assert "for the bot's admins" in (tg.chat_messages(ALICE)[-1].text or "")
    tg.send_text(ADMIN, "/stats", user_id=ADMIN)
    await tg.wait_for(lambda: bool(tg.chat_messages(ADMIN)))
    assert f"{ALICE}: 1 requests" in (tg.chat_messages(ADMIN)[0].text or "")
