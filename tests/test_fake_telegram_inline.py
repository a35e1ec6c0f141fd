"""The fake Telegram's inline mode is as strict as the real one, driven through a real PTB ``telegram.Bot``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    MessageEntity,
    Update,
)
from telegram.error import BadRequest, RetryAfter

from tests.fakes import telegram_inline
from tests.fakes.telegram_api import FakeTelegram

QUERY_INVALID = "Query is too old and response timeout expired or query id is invalid"


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    tg.enable_inline()
    async with Bot(tg.token, base_url=f"{tg.base_url}/bot", base_file_url=f"{tg.base_url}/file/bot") as b:
        yield b


def keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("⏹", callback_data="istop")]])


def article(result_id: str = "r1", text: str = "hello", markup: InlineKeyboardMarkup | None = None) -> Any:
    return InlineQueryResultArticle(result_id, "Title", InputTextMessageContent(text), reply_markup=markup)


async def updates(bot: Bot) -> list[Update]:
    return list(await bot.get_updates(timeout=0))


async def test_inline_query_reaches_the_bot_and_is_answered_once(tg: FakeTelegram, bot: Bot) -> None:
    query_id = tg.send_inline_query(1001, "what is 2+2?", language_code="zh")
    [update] = await updates(bot)
    assert update.inline_query is not None
    assert (update.inline_query.id, update.inline_query.query) == (query_id, "what is 2+2?")
    assert update.inline_query.from_user.language_code == "zh" and update.effective_chat is None
    assert tg.inline_answer(query_id) is None

    button = InlineQueryResultsButton("Help", start_parameter="inline")
    assert await bot.answer_inline_query(query_id, [article()], cache_time=5, is_personal=True, button=button)
    state = tg.inline_answer(query_id)
    assert state is not None and [r["id"] for r in state.results] == ["r1"]
    assert (state.cache_time, state.is_personal, state.button) == (
        5,
        True,
        {"text": "Help", "start_parameter": "inline"},
    )
    with pytest.raises(BadRequest, match=QUERY_INVALID):
        await bot.answer_inline_query(query_id, [])
    with pytest.raises(BadRequest, match=QUERY_INVALID):
        await bot.answer_inline_query("12345", [])


async def test_a_late_answer_is_refused(tg: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    query_id = tg.send_inline_query(1001, "slow")
    tg.inline_queries[query_id].sent_at -= telegram_inline.INLINE_QUERY_TIMEOUT + 0.1
    with pytest.raises(BadRequest, match=QUERY_INVALID):
        await bot.answer_inline_query(query_id, [article()])
    assert tg.inline_answer(query_id) is None


async def test_results_are_validated(tg: FakeTelegram, bot: Bot) -> None:
    cases: list[tuple[list[Any], str]] = [
        ([article(f"r{i}") for i in range(51)], "Results_too_much"),
        ([article("same"), article("same")], "Result_id_duplicate"),
        ([article("x" * 65)], "Result_id_invalid"),
        ([article("é" * 33)], "Result_id_invalid"),  # 66 bytes
        ([article(text="a" * 4097)], "Message_too_long"),
        ([InlineQueryResultArticle("r", "  ", InputTextMessageContent("hi"))], "Can't parse inline query result"),
    ]
    for results, error in cases:
        query_id = tg.send_inline_query(1001, "q")
        with pytest.raises(BadRequest, match=error):
            await bot.answer_inline_query(query_id, results)
        assert tg.inline_answer(query_id) is None  # a refused answer changes nothing: it may be answered again
        assert await bot.answer_inline_query(query_id, [article(text="a" * 4096)])
    query_id = tg.send_inline_query(1001, "q")
    for button, error in [
        (InlineQueryResultsButton("Go", start_parameter="bad param!"), "Start_param_invalid"),
        (InlineQueryResultsButton(" ", start_parameter="ok"), "Button_text_invalid"),
        (InlineQueryResultsButton("Go"), "exactly one of"),
    ]:
        with pytest.raises(BadRequest, match=error):
            await bot.answer_inline_query(query_id, [], button=button)
    assert await bot.answer_inline_query(query_id, [], button=InlineQueryResultsButton("Go", start_parameter="x-1_"))


async def test_choosing_a_result_with_a_keyboard_makes_an_editable_inline_message(tg: FakeTelegram, bot: Bot) -> None:
    query_id = tg.send_inline_query(1001, "the question")
    await bot.answer_inline_query(query_id, [article("plain"), article("keyed", "⏳ thinking", keyboard())])
    with pytest.raises(ValueError, match="was not offered"):
        tg.choose_inline_result(query_id, "other")
    assert tg.choose_inline_result(query_id, "plain") is None  # no keyboard: no inline_message_id
    inline_id = tg.choose_inline_result(query_id, "keyed")
    assert inline_id is not None and tg.inline_messages[inline_id].text == "⏳ thinking"
    *_, plain, keyed = await updates(bot)
    assert plain.chosen_inline_result is not None and plain.chosen_inline_result.inline_message_id is None
    chosen = keyed.chosen_inline_result
    assert chosen is not None and (chosen.result_id, chosen.query) == ("keyed", "the question")
    assert chosen.inline_message_id == inline_id and chosen.from_user.id == 1001

    assert await bot.edit_message_text("<b>4</b>", inline_message_id=inline_id, parse_mode="HTML") is True
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("4", inline_message_id=inline_id, entities=[MessageEntity("bold", 0, 1)])
    message = tg.inline_messages[inline_id]
    assert (message.text, message.entities, message.reply_markup) == (
        "4",
        [{"type": "bold", "offset": 0, "length": 1}],
        None,
    )
    assert await bot.edit_message_reply_markup(inline_message_id=inline_id, reply_markup=keyboard()) is True
    assert tg.inline_messages[inline_id].reply_markup is not None and message.edits == 2
    assert message.history == ["⏳ thinking", "4"]


async def test_inline_edits_are_checked_like_other_edits(tg: FakeTelegram, bot: Bot) -> None:
    query_id = tg.send_inline_query(1001, "q")
    await bot.answer_inline_query(query_id, [article("k", "start", keyboard())])
    inline_id = tg.choose_inline_result(query_id, "k")
    assert inline_id is not None
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.edit_message_text("a" * 4097, inline_message_id=inline_id)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.edit_message_text("abc", inline_message_id=inline_id, entities=[MessageEntity("bold", 2, 5)])
    with pytest.raises(BadRequest, match="Message_id_invalid"):
        await bot.edit_message_text("abc", inline_message_id="nope")
    assert await bot.edit_message_text("😀" * 2048, inline_message_id=inline_id)  # 4096 UTF-16 units
    tg.flood_limit = (1, 60.0)  # per inline message, like a chat
    await bot.edit_message_text("next", inline_message_id=inline_id)
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("again", inline_message_id=inline_id)
    assert tg.inline_messages[inline_id].text == "next"


async def test_no_query_without_inline_mode_and_no_choice_without_feedback(tg: FakeTelegram, bot: Bot) -> None:
    tg.inline_mode = False
    with pytest.raises(ValueError, match="inline mode is off"):
        tg.send_inline_query(1001, "q")
    assert (await bot.get_me()).supports_inline_queries is False
    tg.enable_inline(feedback=False)
    assert (await bot.get_me()).supports_inline_queries is True
    query_id = tg.send_inline_query(1001, "q")
    await bot.answer_inline_query(query_id, [article("k", "start", keyboard())])
    inline_id = tg.choose_inline_result(query_id, "k")
    assert inline_id in tg.inline_messages  # sent, but the bot is not told
    assert [u.inline_query is not None for u in await updates(bot)] == [True]


async def test_a_button_press_on_an_inline_message(tg: FakeTelegram, bot: Bot) -> None:
    query_id = tg.send_inline_query(1001, "q")
    await bot.answer_inline_query(query_id, [article("k", "start", keyboard())])
    inline_id = tg.choose_inline_result(query_id, "k")
    assert inline_id is not None
    press = tg.press_inline_button(inline_id, "istop", user_id=1002)
    callback = (await updates(bot))[-1].callback_query
    assert callback is not None and callback.inline_message_id == inline_id and callback.message is None
    assert callback.from_user.id == 1002 and callback.data == "istop"
    assert await bot.answer_callback_query(press, "ok")
    with pytest.raises(ValueError, match="no button"):
        tg.press_inline_button(inline_id, "other")
