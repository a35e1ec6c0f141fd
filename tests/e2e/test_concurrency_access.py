"""Chats run side by side, one chat runs in order; the gate covers buttons; menus; file downloads."""

from __future__ import annotations

import asyncio

from bot.handlers import COMMANDS
from storage import ChatKey
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ADMIN, ALICE, BOB, STRANGER, RunningBot


async def test_a_slow_answer_in_one_chat_does_not_block_another_chat(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    hold = asyncio.Event()
    ww.script(Reply(text="slow answer for alice", chunks=4, hold=hold), Reply(text="quick answer for bob"))
    tg.send_text(ALICE, "slow please", user_id=ALICE)
    await ww.wait_for(lambda: ww.streams_open == 1)
    tg.send_text(BOB, "quick please", user_id=BOB)
    await tg.wait_for(lambda: bool(tg.chat_messages(BOB)))
    assert tg.chat_messages(BOB)[0].text == "quick answer for bob"
    assert not tg.chat_messages(ALICE)
    hold.set()
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))


async def test_messages_in_one_chat_are_answered_in_order(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.script(Reply(text="one", chunks=3, delay=0.1), Reply(text="two"))
    tg.send_text(ALICE, "first", user_id=ALICE)
    tg.send_text(ALICE, "second", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    assert [m.text for m in tg.chat_messages(ALICE)] == ["one", "two"]
    second = ww.requests_to("/v1/chat/completions")[1].json["messages"]
    assert [m["content"] for m in second] == ["first", "one", "second"]


async def test_stop_is_not_stuck_behind_the_answer_it_stops(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    hold = asyncio.Event()
    ww.script(Reply(text="never ending story", chunks=4, hold=hold))
    tg.send_text(ALICE, "go", user_id=ALICE)
    await ww.wait_for(lambda: ww.streams_open == 1)
    tg.send_text(ALICE, "/stop", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert ww.disconnects == 1
    assert not hold.is_set()
    hold.set()


async def test_admins_pass_the_gate_and_strangers_cannot_press_buttons(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_text(ADMIN, "I am the admin", user_id=ADMIN)
    await tg.wait_for(lambda: bool(tg.chat_messages(ADMIN)))
    assert tg.chat_messages(ADMIN)[0].text == "echo: I am the admin"

    group = -100321
    tg.send_text(group, "/model", user_id=ALICE, chat_type="supergroup")
    await tg.wait_for(lambda: bool(tg.chat_messages(group)))
    picker = tg.chat_messages(group)[0]
    data = picker.reply_markup["inline_keyboard"][0][0]["callback_data"]
    tg.press_button(group, picker.message_id, data, user_id=STRANGER)
    await tg.wait_for(lambda: bool(tg.calls_of("answerCallbackQuery")))
    answer = tg.calls_of("answerCallbackQuery")[0].params
    assert answer["show_alert"] is True and "no access" in answer["text"]
    assert ww.requests_to("/v1/models") and len(ww.requests_to("/v1/models")) == 1  # only Alice's /model
    assert await bot.services.conversations.model_for(bot_chat(group)) == "gpt-4o-mini"


def bot_chat(chat_id: int) -> ChatKey:
    return ChatKey(chat_id)


async def test_forged_button_data_gets_a_short_answer_and_does_nothing(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_text(ALICE, "/model", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    picker = tg.chat_messages(ALICE)[0]
    for data in ("model:0000000000", "mj:U1:forged", "models:abc"):
        tg.press_button(ALICE, picker.message_id, data, user_id=ALICE, allow_unknown_data=True)
    await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 3)
    texts = sorted(c.params.get("text", "") for c in tg.calls_of("answerCallbackQuery"))
    assert texts == ["This button is no longer valid."] * 2 + ["This list is out of date — send /model again."]
    assert await bot.services.conversations.model_for(bot_chat(ALICE)) == "gpt-4o-mini"


async def test_command_menu_is_registered_in_english_and_chinese(tg: FakeTelegram, bot: RunningBot) -> None:
    await tg.wait_for(lambda: len(tg.calls_of("setMyCommands")) == 4)
    english = tg.commands_for({"type": "all_private_chats"}, "")
    chinese = tg.commands_for({"type": "all_private_chats"}, "zh")
    assert [c["command"] for c in english] == [name for name in COMMANDS if name != "start"]
    assert {"new", "model", "stop", "imagine", "image", "settings"} <= {c["command"] for c in english}
    assert chinese[1]["description"] == "开始新的对话"


async def test_files_are_downloaded_from_the_configured_bot_api_server(tg: FakeTelegram, bot: RunningBot) -> None:
    tg.add_file("file-1", b"\x00voice-bytes\xff", "voice/file_1.oga")
    assert bot.app is not None
    telegram_file = await bot.app.bot.get_file("file-1")
    assert bytes(await telegram_file.download_as_bytearray()) == b"\x00voice-bytes\xff"
    assert tg.downloads == ["voice/file_1.oga"]
