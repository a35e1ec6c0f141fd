"""The fake Telegram's flood control: 30 message calls a second over all chats, 20 a minute per group."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
from telegram.error import RetryAfter

from tests.fakes.telegram_api import FakeTelegram
from tests.images import png


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=f"{tg.base_url}/bot", base_file_url=f"{tg.base_url}/file/bot") as b:
        yield b


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after  # int, or timedelta with PTB_TIMEDELTA set
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def test_the_31st_message_in_a_second_is_refused_over_all_chats(tg: FakeTelegram, bot: Bot) -> None:
    tg.enable_flood_control()
    assert (tg.global_flood_limit, tg.group_flood_limit) == ((30, 1.0), (20, 60.0))
    for i in range(30):
        await bot.send_message(100 + i, f"m{i}")  # 30 different chats: no per-chat limit is involved
    async with aiohttp.ClientSession() as http:  # the raw answer, as the real server sends it
        async with http.post(
            f"{tg.base_url}/bot{tg.token}/sendMessage", data={"chat_id": "500", "text": "one too many"}
        ) as resp:
            assert resp.status == 429 and resp.headers["Retry-After"] == "1"
            assert await resp.json() == {
                "ok": False,
                "error_code": 429,
                "parameters": {"retry_after": 1},
                "description": "Too Many Requests: retry after 1",
            }
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(501, "still too many")
    assert retry_seconds(caught.value) == 1
    assert [(c.params["chat_id"], c.flood) for c in tg.flood_refusals] == [(500, "global"), (501, "global")]
    assert tg.chat_messages(500) == [] and tg.chat_messages(501) == []  # a refused call changes nothing

    await asyncio.sleep(1.05)  # the window has slid past the 30
    await bot.send_message(500, "a second later")
    assert len(tg.flood_refusals) == 2 and [m.text for m in tg.chat_messages(500)] == ["a second later"]


async def test_edits_and_media_count_drafts_actions_and_the_rest_do_not(tg: FakeTelegram, bot: Bot) -> None:
    tg.global_flood_limit = (5, 60.0)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(42, "hello", reply_markup=keyboard)  # 1
    for n in range(10):  # none of these count
        await bot.send_message_draft(42, draft_id=7, text=f"draft {n}")
        await bot.send_chat_action(42, "typing")
        await bot.answer_callback_query(tg.press_button(42, sent.message_id, "go"))
        await bot.get_updates()
    await bot.edit_message_text("hello!", chat_id=42, message_id=sent.message_id)  # 2
    photo = await bot.send_photo(43, png())  # 3
    await bot.get_file(photo.photo[-1].file_id)
    await bot.send_media_group(44, [InputMediaPhoto(png(1)), InputMediaPhoto(png(2))])  # 4 and 5: one per item
    await bot.delete_message(43, photo.message_id)
    with pytest.raises(RetryAfter) as caught:
        await bot.edit_message_reply_markup(chat_id=42, message_id=sent.message_id, reply_markup=keyboard)
    assert 58 <= retry_seconds(caught.value) <= 60
    await bot.send_message_draft(42, draft_id=7, text="drafts still go")
    assert [(c.method, c.flood) for c in tg.flood_refusals] == [("editMessageReplyMarkup", "global")]


async def test_a_groups_21st_message_in_a_minute_is_refused(tg: FakeTelegram, bot: Bot) -> None:
    tg.enable_flood_control()
    for i in range(20):
        await bot.send_message(-100, f"m{i}")
    await asyncio.sleep(1.05)  # the global window is clear: only the group's minute is full
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(-100, "one too many")
    assert 58 <= retry_seconds(caught.value) <= 60
    first = tg.chat_messages(-100)[0]
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("edited", chat_id=-100, message_id=first.message_id)  # edits count too
    await bot.send_message(-101, "another group has its own minute")
    await bot.send_message(42, "private chats have no minute window")
    assert [(c.params["chat_id"], c.flood) for c in tg.flood_refusals] == [(-100, "group"), (-100, "group")]
    assert len(tg.chat_messages(-100)) == 20 and first.text == "m0"


async def test_the_per_chat_limit_still_counts_drafts(tg: FakeTelegram, bot: Bot) -> None:
    tg.flood_limit = (2, 1.0)
    tg.global_flood_limit = (3, 1.0)
    await bot.send_message_draft(42, draft_id=1, text="a")  # counts in chat 42, not globally
    await bot.send_message(42, "b")  # global 1
    with pytest.raises(RetryAfter):
        await bot.send_message(42, "c")  # chat 42 is full; a refused call takes no global place
    await bot.send_message(43, "d")  # global 2
    await bot.send_message(44, "e")  # global 3
    with pytest.raises(RetryAfter):
        await bot.send_message(45, "f")
    assert [(c.params["chat_id"], c.flood) for c in tg.flood_refusals] == [(42, "chat"), (45, "global")]
