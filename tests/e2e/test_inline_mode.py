"""Inline mode end to end: `@bot question` offers one result, choosing it streams the answer into that message."""

from __future__ import annotations

import asyncio

import pytest

from storage import ChatKey
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_inline import InlineMessage, InlineQueryState
from tests.fakes.telegram_text import utf16_len
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, BOB, STRANGER, RunningBot

CHAT = "/v1/chat/completions"


@pytest.fixture(autouse=True)
def _inline_on(tg: FakeTelegram) -> None:
    tg.enable_inline(feedback=True)  # BotFather: /setinline and /setinlinefeedback


async def offer(tg: FakeTelegram, user_id: int, question: str, lang: str = "en") -> InlineQueryState:
    query_id = tg.send_inline_query(user_id, question, language_code=lang)
    await tg.wait_for(lambda: tg.inline_answer(query_id) is not None)
    state = tg.inline_answer(query_id)
    assert state is not None
    return state


async def choose(tg: FakeTelegram, state: InlineQueryState) -> InlineMessage:
    """Send the one result and wait until the answer is in it (the final edit takes the ⏹ keyboard away)."""
    inline_id = tg.choose_inline_result(state.query_id, state.results[0]["id"])
    assert inline_id is not None
    message = tg.inline_messages[inline_id]
    await tg.wait_for(lambda: message.edits > 0 and message.reply_markup is None, timeout=15)
    return message


def inline_edits(tg: FakeTelegram, message: InlineMessage) -> list[str]:
    calls = tg.calls_of("editMessageText")
    return [c.params["text"] for c in calls if c.ok and c.params.get("inline_message_id") == message.inline_message_id]


async def test_a_query_offers_one_result_and_asks_the_gateway_nothing(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    state = await offer(tg, ALICE, "what is 2+2?")
    [result] = state.results
    assert result["type"] == "article" and result["title"] == "Ask gpt-4o-mini: what is 2+2?"
    assert "what is 2+2?" in result["input_message_content"]["message_text"]
    assert result["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "istop"
    assert state.is_personal and state.cache_time is not None and state.cache_time <= 10
    for text in ("w", "wh", "wha"):  # every keystroke is a query: none of them is paid for
        await offer(tg, ALICE, text)
    assert ww.requests_to(CHAT) == []


async def test_the_chosen_result_gets_the_answer_streamed_by_edits_and_stored_nowhere(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ww.script(Reply(text="It is **four**, of course.", chunks=6, delay=0.1), Reply(text="Hi."))
    message = await choose(tg, await offer(tg, ALICE, "what is 2+2?"))

    assert message.text == "It is four, of course."
    assert message.entities == [{"type": "bold", "offset": 6, "length": 4}]
    edits = inline_edits(tg, message)
    assert len(edits) >= 2 and edits[-1] == "It is four, of course."
    assert any(text.endswith("▌") for text in edits[:-1])  # live previews before the final edit
    assert not tg.calls_of("sendMessage") and not tg.calls_of("sendMessageDraft")
    [request] = ww.requests_to(CHAT)
    assert request.json["messages"] == [{"role": "user", "content": "what is 2+2?"}]
    assert "tools" not in request.json

    # no conversation has it: the private chat starts empty, and its first request carries only itself
    assert not await bot.services.conversations.has_history(ChatKey(ALICE))
    tg.send_text(ALICE, "hello", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) >= 1, timeout=15)
    assert ww.requests_to(CHAT)[1].json["messages"] == [{"role": "user", "content": "hello"}]
    assert (await bot.services.limits.day_use(ALICE)).used.requests == 2  # both counted


async def test_a_stranger_gets_no_result_but_a_way_to_access_and_no_gateway_call(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    state = await offer(tg, STRANGER, "free answers please", lang="zh")
    assert state.results == []
    assert state.button == {"text": "🔒 如何获得使用权限", "start_parameter": "access"}
    assert state.is_personal
    assert ww.requests_to(CHAT) == []
    # the button opens the bot, where /start access tells the stranger their id
    tg.send_text(STRANGER, "/start access", user_id=STRANGER)
    await tg.wait_for(lambda: len(tg.chat_messages(STRANGER)) >= 1)
    assert str(STRANGER) in (tg.chat_messages(STRANGER)[0].text or "")


async def test_an_empty_query_gets_a_hint_and_no_gateway_call(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    for text in ("", "   "):
        state = await offer(tg, ALICE, text)
        assert state.results == []
        assert state.button is not None and state.button["start_parameter"] == "inline"
    assert ww.requests_to(CHAT) == []


async def test_a_gateway_error_is_shown_in_the_inline_message_in_the_users_language(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ww.script(Reply(status=401, error_message="无效的令牌"))
    message = await choose(tg, await offer(tg, BOB, "你好", lang="zh"))
    assert message.text is not None and "wenwen API 密钥被拒绝" in message.text
    assert (await bot.services.limits.day_use(BOB)).used.requests == 0  # failed before a word: given back


async def test_a_long_answer_is_cut_to_one_message_with_a_note(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    words = " ".join(f"word{i}" for i in range(2000))  # about 15,000 characters
    ww.script(Reply(text=words, chunks=10))
    message = await choose(tg, await offer(tg, ALICE, "talk a lot"))
    assert message.text is not None and utf16_len(message.text) <= 4096
    assert message.text.startswith("word0 word1 word2")
    assert message.text.endswith("ask in a private chat with me for all of it.")
    assert "✂️" in message.text and "word1999" not in message.text


async def test_the_daily_request_limit_applies(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(daily_request_limit=1)
    first = await choose(tg, await offer(tg, ALICE, "one"))
    assert first.text == "echo: one"
    second = await choose(tg, await offer(tg, ALICE, "two"))
    assert second.text is not None and "1 requests" in second.text and "UTC" in second.text
    assert len(ww.requests_to(CHAT)) == 1


async def test_stop_button_only_for_its_owner_and_it_closes_the_request(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    hold = asyncio.Event()
    ww.script(Reply(text="The beginning and then a long rest", chunks=4, hold=hold))
    state = await offer(tg, ALICE, "tell me")
    inline_id = tg.choose_inline_result(state.query_id, state.results[0]["id"])
    assert inline_id is not None
    message = tg.inline_messages[inline_id]
    await tg.wait_for(lambda: any("The beg" in text for text in message.history), timeout=15)

    tg.press_inline_button(inline_id, "istop", user_id=BOB)
    await tg.wait_for(lambda: len([c for c in tg.calls_of("answerCallbackQuery") if c.ok]) == 1)
    assert tg.calls_of("answerCallbackQuery")[-1].params.get("show_alert") is True  # not Bob's to stop
    assert message.reply_markup is not None  # still being written

    tg.press_inline_button(inline_id, "istop", user_id=ALICE)
    await tg.wait_for(lambda: message.reply_markup is None, timeout=15)
    assert message.text is not None and message.text.endswith("⏹ (stopped)")
    assert "long rest" not in message.text
    hold.set()


async def test_inline_previews_are_throttled_per_message(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(stream_interval_group=0.5)
    ww.script(Reply(text=" ".join(f"w{i}" for i in range(60)), chunks=30, delay=0.1))  # about 3 s of stream
    message = await choose(tg, await offer(tg, ALICE, "stream slowly"))
    edits = inline_edits(tg, message)
    assert 2 <= len(edits) <= 3 / 0.5 + 2, edits  # previews at most every 0.5 s, plus the final edit
    assert edits[-1] == message.text and message.text is not None and message.text.endswith("w59")


async def test_a_user_has_at_most_two_inline_answers_running(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    holds = [asyncio.Event(), asyncio.Event()]
    ww.script(*(Reply(text="Slow answer number one", chunks=4, hold=hold) for hold in holds), Reply(text="Third."))
    running = []
    for question in ("first", "second"):
        state = await offer(tg, ALICE, question)
        inline_id = tg.choose_inline_result(state.query_id, state.results[0]["id"])
        assert inline_id is not None
        running.append(tg.inline_messages[inline_id])
    await tg.wait_for(lambda: len(ww.requests_to(CHAT)) == 2, timeout=15)

    third = await choose(tg, await offer(tg, ALICE, "third"))
    assert third.text is not None and "still being written" in third.text
    assert len(ww.requests_to(CHAT)) == 2  # refused before any request
    for hold in holds:
        hold.set()
    await tg.wait_for(lambda: all(m.reply_markup is None for m in running), timeout=15)
    assert [m.text for m in running] == ["Slow answer number one"] * 2
    fourth = await choose(tg, await offer(tg, ALICE, "fourth"))  # room again once they are done
    assert fourth.text == "Third."


async def test_a_deleted_inline_message_stops_its_answer(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    ww.script(Reply(text=" ".join(f"w{i}" for i in range(100)), chunks=50, delay=0.2))  # about 10 s of stream
    state = await offer(tg, ALICE, "question")
    inline_id = tg.choose_inline_result(state.query_id, state.results[0]["id"])
    assert inline_id is not None
    message = tg.inline_messages[inline_id]
    await tg.wait_for(lambda: any(text.startswith("w0") for text in message.history), timeout=15)
    del tg.inline_messages[inline_id]  # the user deleted the message
    await tg.wait_for(lambda: len(bot.services.inline_runs) == 0, timeout=15)
    refused = [c for c in tg.calls_of("editMessageText") if c.description and "MESSAGE_ID_INVALID" in c.description]
    assert refused
    [turn] = [r for r in caplog.records if r.name == "bot.turn"]
    assert getattr(turn, "status", None) == "stopped" and "w99" not in str(turn.getMessage())
