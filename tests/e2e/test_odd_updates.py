"""Updates a careless world sends: each is answered plainly, nothing crashes, nothing is refused by Telegram."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, RunningBot
from tests.images import jpeg


def refused_calls(tg: FakeTelegram) -> list[str]:
    """Bot API calls the fake refused, other than "message is not modified" (which counts as success)."""
    return [
        f"{c.method}: {c.description}"
        for c in tg.calls
        if not c.ok and c.status not in (0, 499) and "not modified" not in (c.description or "")
    ]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_describe_as_the_caption_of_an_image_file_describes_it(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    image = jpeg(4)
    tg.send_media(ALICE, "document", image, caption="/describe", file_name="cat.jpg", user_id=ALICE)
    await tg.wait_for(lambda: bool(ww.mj_requests("/mj/submit/describe")))
    assert ww.mj_requests("/mj/submit/describe")[0].json["base64"].startswith("data:image/jpeg;base64,")
    assert not tracebacks(caplog)


async def test_describe_on_a_file_that_is_not_an_image_says_so(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    tg.send_media(ALICE, "document", b"not an image at all", caption="/describe", file_name="x.png", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert "cannot read this file as a picture" in (tg.chat_messages(ALICE)[0].text or "")
    assert not ww.mj_requests("/mj/submit/describe") and not tracebacks(caplog)


async def test_pressing_a_model_button_twice_is_quietly_fine(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    tg.send_text(ALICE, "/model", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    picker = tg.chat_messages(ALICE)[0]
    data = picker.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    tg.press_button(ALICE, picker.message_id, data, user_id=ALICE)
    await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 1)
    tg.press_button(ALICE, picker.message_id, data, user_id=ALICE, allow_unknown_data=True)
    await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 2)
    await tg.wait_for(lambda: len(tg.calls_of("editMessageText")) == 2)
    assert not refused_calls(tg) and not tracebacks(caplog)


async def test_a_settings_button_on_a_photo_message_answers_with_a_new_message(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    tg.send_text(ALICE, "/image a red square", user_id=ALICE)
    await tg.wait_for(lambda: any(m.kind == "photo" for m in tg.chat_messages(ALICE)), timeout=15)
    photo = next(m for m in tg.chat_messages(ALICE) if m.kind == "photo")  # the bot's own photo message
    tg.press_button(ALICE, photo.message_id, "cfg:tools", user_id=ALICE, allow_unknown_data=True)
    await tg.wait_for(lambda: any("Settings" in (m.text or "") for m in tg.chat_messages(ALICE)))
    assert not refused_calls(tg) and not tracebacks(caplog)


async def test_a_button_on_someone_elses_message_is_forged(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    photo_id = tg.send_media(ALICE, "photo", jpeg(1), caption="x", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    tg.press_button(ALICE, photo_id, "cfg:tools", user_id=ALICE, allow_unknown_data=True)
    await tg.wait_for(lambda: bool(tg.calls_of("answerCallbackQuery")))
    assert tg.calls_of("answerCallbackQuery")[0].params["text"] == "This button is no longer valid."
    assert not refused_calls(tg) and not tracebacks(caplog)


FORGED = ["mj:²", "mj:" + "9" * 30, "mj:-1", "mj:", "mj:1e3", "models:٣", "cfg:../x", "retry:x"]


@pytest.mark.parametrize("data", FORGED)
async def test_forged_button_data_is_parsed_strictly(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, caplog: pytest.LogCaptureFixture, data: str
) -> None:
    tg.send_text(ALICE, "/model", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    tg.press_button(ALICE, tg.chat_messages(ALICE)[0].message_id, data, user_id=ALICE, allow_unknown_data=True)
    await tg.wait_for(lambda: bool(tg.calls_of("answerCallbackQuery")))
    assert tg.calls_of("answerCallbackQuery")[0].params["text"] == "This button is no longer valid."
    assert not refused_calls(tg) and not tracebacks(caplog)


async def test_a_huge_model_name_is_not_echoed_whole(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    tg.send_text(ALICE, "/model " + "m" * 4000, user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    reply = tg.chat_messages(ALICE)[0].text or ""
    assert "not offered" in reply or "unknown" in reply.lower() or "m" * 50 in reply
    assert len(reply) < 600
    assert not refused_calls(tg) and not tracebacks(caplog)


async def test_a_final_answer_refused_with_a_500_is_sent_again_and_arrives_once(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ww.script(Reply(text="worth waiting for"))
    tg.fail_next("sendMessage", status=500, times=2, chat_id=ALICE)
    tg.send_text(ALICE, "hello", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)), timeout=15)
    assert [m.text for m in tg.chat_messages(ALICE)] == ["worth waiting for"]
    await bot.services.turn_queue.idle()
    stored = await bot.services.storage.conversations.all_messages(1)
    assert stored[-1].delivered


async def test_an_answer_telegram_never_takes_is_not_marked_delivered(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.render import telegram_io

    monkeypatch.setattr(telegram_io, "DELIVERY_BUDGET", 1.0)
    tg.fail_next("sendMessage", status=502, times=100, chat_id=ALICE)
    tg.send_text(ALICE, "hello", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.calls_of("sendMessage")) >= 3, timeout=15)
    await bot.services.turn_queue.idle()
    stored = await bot.services.storage.conversations.all_messages(1)
    assert stored[-1].role == "assistant" and not stored[-1].delivered  # a restart will send it


async def test_an_unknown_command_points_at_help_only_when_meant_for_this_bot(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_text(ALICE, "/frobnicate now", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert "/frobnicate" in (tg.chat_messages(ALICE)[0].text or "") and "/help" in (
        tg.chat_messages(ALICE)[0].text or ""
    )
    group = -100888
    tg.send_text(group, "/frobnicate", user_id=ALICE, chat_type="supergroup")  # maybe another bot's
    tg.send_text(group, "/frobnicate@otherbot", user_id=ALICE, chat_type="supergroup")
    tg.send_text(group, f"/frobnicate@{tg.bot_user['username']}", user_id=ALICE, chat_type="supergroup")
    await tg.wait_for(lambda: bool(tg.chat_messages(group)))
    assert bot.app is not None
    await asyncio.wait_for(bot.app.update_queue.join(), 10)
    assert len(tg.chat_messages(group)) == 1 and "/help" in (tg.chat_messages(group)[0].text or "")
    assert not ww.requests_to("/v1/chat/completions")
