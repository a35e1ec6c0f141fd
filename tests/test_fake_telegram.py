"""The fake Telegram Bot API is as strict as the real one, driven through a real PTB ``telegram.Bot``."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import BadRequest, Conflict, InvalidToken, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakes.telegram_api import FakeTelegram
from tests.images import png


@pytest.fixture
def fake(tg: FakeTelegram) -> FakeTelegram:
    return tg


def make_bot(fake: FakeTelegram, token: str | None = None) -> Bot:
    return Bot(token or fake.token, base_url=f"{fake.base_url}/bot", base_file_url=f"{fake.base_url}/file/bot")


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with make_bot(fake) as b:
        yield b


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])


async def test_text_limit_is_4096_utf16_units(fake: FakeTelegram, bot: Bot) -> None:
    msg = await bot.send_message(42, "a" * 4096)
    assert msg.message_id == 1 and msg.chat.type == "private" and msg.from_user.id == 123456
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(42, "a" * 4097)
    await bot.send_message(42, "😀" * 2048)  # 2048 code points, 4096 UTF-16 units
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(42, "😀" * 2048 + "a")  # only 2049 code points, but 4097 units
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(42, "")
    assert [len(m.text or "") for m in fake.chat_messages(42)] == [4096, 2048]
    assert [c.status for c in fake.calls_of("sendMessage")] == [200, 400, 200, 400, 400]


async def test_edit_not_modified_and_edit_counting(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(42, "hello", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match=r"^Message is not modified: specified new message content"):
        await bot.edit_message_text("hello", chat_id=42, message_id=sent.message_id, reply_markup=keyboard("a"))
    edited = await bot.edit_message_text("hello!", chat_id=42, message_id=sent.message_id)
    assert edited.text == "hello!" and edited.reply_markup is None  # no markup given: the keyboard goes
    [stored] = fake.chat_messages(42)
    assert (stored.text, stored.edits, stored.reply_markup) == ("hello!", 1, None)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=42, message_id=999)
    assert await bot.delete_message(42, sent.message_id)
    assert fake.chat_messages(42) == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(42, sent.message_id)


async def test_callback_data_limit_is_64_utf8_bytes(fake: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(42, "ok", reply_markup=keyboard("x" * 64))
    await bot.send_message(42, "ok", reply_markup=keyboard("é" * 32))  # 64 bytes
    for data in ("x" * 65, "é" * 33):
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(42, "too long", reply_markup=keyboard(data))
    assert len(fake.chat_messages(42)) == 2


async def test_flood_limit_answers_429_retry_after(fake: FakeTelegram, bot: Bot) -> None:
    fake.flood_limit = (3, 1.0)
    for i in range(3):
        await bot.send_message(42, f"m{i}")
    with pytest.raises(RetryAfter) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        await bot.send_message(42, "one too many")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        retry_after = caught.value.retry_after  # int, or timedelta with PTB_TIMEDELTA set
    assert (retry_after.total_seconds() if isinstance(retry_after, timedelta) else retry_after) == 1
    await bot.send_message(43, "another chat is not limited")
    assert fake.calls_of("sendMessage")[3].status == 429
    assert len(fake.chat_messages(42)) == 3

    fake.flood_limit = None
    fake.fail_next("sendMessage", status=429, retry_after=7, chat_id=42)
    async with aiohttp.ClientSession() as http:  # the raw answer, as the real server sends it
        async with http.post(
            f"{fake.base_url}/bot{fake.token}/sendMessage", data={"chat_id": "42", "text": "x"}
        ) as resp:
            assert resp.status == 429 and resp.headers["Retry-After"] == "7"
            assert await resp.json() == {
                "ok": False,
                "error_code": 429,
                "parameters": {"retry_after": 7},
                "description": "Too Many Requests: retry after 7",
            }


async def test_entities_are_checked_in_utf16(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)entity beginning at UTF-16 offset 0 ends after the end of the text"):
        await bot.send_message(42, "hi", entities=[MessageEntity("bold", 0, 3)])
    msg = await bot.send_message(42, "😀 b", entities=[MessageEntity("bold", 3, 1)])
    assert msg.entities[0].offset == 3
    html = await bot.send_message(
        42, "<b>bold</b> &lt;", parse_mode="HTML", entities=[MessageEntity("italic", 0, 1)]
    )  # ignored with parse_mode
    assert html.text == "bold <" and [(e.type, e.offset, e.length) for e in html.entities] == [("bold", 0, 4)]
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "foo" at byte offset 0'):
        await bot.send_message(42, "<foo>x</foo>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(42, "*ok*.", parse_mode="MarkdownV2")


async def test_drafts_only_in_private_chats(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Method is available only for private chats"):
        await bot.send_message_draft(-100123, 5, text="thinking")
    with pytest.raises(BadRequest, match="Draft_id must be non-zero"):
        await bot.send_message_draft(42, 0, text="x")
    assert await bot.send_message_draft(42, 5)  # text is optional
    assert await bot.send_message_draft(42, 5, text="")
    assert await bot.send_message_draft(42, 5, text="partial")
    assert [c.params.get("text") for c in fake.drafts(42)] == [None, "", "partial"]
    assert fake.drafts(-100123) == []


async def test_get_updates_long_poll_and_conflict(fake: FakeTelegram, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await fake.wait_for(lambda: len(fake.calls_of("getUpdates")) == 1)
    async with make_bot(fake) as second_instance:  # one Bot has a single getUpdates connection
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await second_instance.get_updates(timeout=0)
    mid = fake.send_text(42, "/start@wenwen_test_bot hi @someone_else")
    [update] = await poll
    assert loop.time() - started < 5
    msg = update.message
    assert msg.message_id == mid and msg.text.startswith("/start") and msg.from_user.id == 42
    assert [(e.type, e.offset, e.length) for e in msg.entities] == [("bot_command", 0, 22), ("mention", 26, 13)]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert await bot.get_updates(timeout=0.2) == ()  # an empty long poll ends after its timeout


async def test_file_download_with_quoted_token(fake: FakeTelegram, bot: Bot) -> None:
    fake.add_file("VOICE1", b"OggS-data", "voice/file_0.oga")
    tg_file = await bot.get_file("VOICE1")
    assert tg_file.file_size == 9 and tg_file.file_path.endswith(f"/file/bot{fake.token}/voice/file_0.oga")
    assert bytes(await tg_file.download_as_bytearray()) == b"OggS-data"  # PTB sends "123456%3ATEST-..."
    assert fake.downloads == ["voice/file_0.oga"]
    async with aiohttp.ClientSession() as http:
        quoted = f"{fake.base_url}/file/bot{fake.token.replace(':', '%3A')}/voice/file_0.oga"
        async with http.get(quoted) as resp:
            assert (resp.status, await resp.read()) == (200, b"OggS-data")
        async with http.get(f"{fake.base_url}/file/bot{fake.token}/voice/missing.oga") as resp:
            assert resp.status == 404
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")
    fake.add_file("BIG", b"\0" * ((20 << 20) + 1), "documents/big.bin")
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file("BIG")


async def test_wrong_token_is_401(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(fake, token="123456:WRONG-token"):
            pass
    assert (fake.calls[-1].method, fake.calls[-1].status, fake.calls[-1].description) == ("getMe", 401, "Unauthorized")


async def test_uploads_and_media_groups(fake: FakeTelegram, bot: Bot) -> None:
    picture = png()
    photo = await bot.send_photo(42, picture, caption="pic", filename="a.png")
    doc = await bot.send_document(-100, b"%PDF", filename="r.pdf", caption="<b>r</b>", parse_mode="HTML")
    assert photo.photo[-1].file_size == len(picture) and doc.document.file_name == "r.pdf" and doc.caption == "r"
    assert fake.calls_of("sendDocument")[0].params["document__filename"] == "r.pdf"
    assert [(m.kind, m.text, m.file) for m in fake.chat_messages(-100)] == [("document", "r", b"%PDF")]
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(42, photo.photo[-1].file_id, caption="c" * 1025)
    again = await bot.send_photo(42, photo.photo[-1].file_id)  # by file_id
    assert fake.chat_messages(42)[-1].file == picture and again.photo[-1].file_id == photo.photo[-1].file_id
    from telegram import InputMediaPhoto

    album = await bot.send_media_group(42, [InputMediaPhoto(png(1)), InputMediaPhoto(png(2), caption="2")])
    assert len({m.media_group_id for m in album}) == 1 and album[1].caption == "2"
    with pytest.raises(BadRequest):
        await bot.send_media_group(42, [InputMediaPhoto(png(3))])


async def test_send_photo_refuses_bytes_that_are_no_picture(fake: FakeTelegram, bot: Bot) -> None:
    """Like Telegram: a photo must decode as an image; the same bytes go as a document."""
    for not_a_picture in (b"\x89PNG-but-cut-short", b"%PDF-1.7", b"GIF8 and nothing"):
        with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):  # PTB capitalizes the description
            await bot.send_photo(42, not_a_picture)
        assert (fake.calls[-1].status, fake.calls[-1].description) == (400, "Bad Request: IMAGE_PROCESS_FAILED")
        doc = await bot.send_document(42, not_a_picture, filename="file.bin")
        assert doc.document is not None
    from telegram import InputMediaPhoto

    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_media_group(42, [InputMediaPhoto(png()), InputMediaPhoto(b"not a picture")])
    assert [m.kind for m in fake.chat_messages(42)] == ["document"] * 3


async def test_application_polling_command_and_button(fake: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Hi!", reply_markup=keyboard("mj:U1:job"), do_quote=True)

    async def tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("done")
        await update.callback_query.edit_message_text("Tapped")

    app = (
        Application.builder()
        .token(fake.token)
        .base_url(f"{fake.base_url}/bot")
        .base_file_url(f"{fake.base_url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(tap, pattern=r"^mj:"))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5)
        try:
            user_msg = fake.send_text(42, "/start")
            await fake.wait_for(lambda: len(fake.chat_messages(42)) == 1)
            [reply] = fake.chat_messages(42)
            assert reply.reply_to == user_msg and reply.raw["reply_to_message"]["text"] == "/start"
            query_id = fake.press_button(42, reply.message_id, "mj:U1:job")
            await fake.wait_for(lambda: fake.chat_messages(42)[0].edits == 1)
            answers = fake.calls_of("answerCallbackQuery")
            assert answers[0].params == {"callback_query_id": query_id, "text": "done"}
        finally:
            await app.updater.stop()
            await app.stop()
    assert fake.updates == []  # the final getUpdates confirmed everything
    assert not [c for c in fake.calls if c.status == 409]
    with pytest.raises(ValueError, match="no button"):
        fake.press_button(42, reply.message_id, "forged")


async def test_get_updates_offset_drops_confirmed_updates_for_good_and_hands_out_the_rest_again(
    fake: FakeTelegram, bot: Bot
) -> None:
    ids = [fake.send_text(42, text) for text in ("one", "two", "three")]
    first = await bot.get_updates(timeout=0)
    assert [u.message.message_id for u in first] == ids
    again = await bot.get_updates(timeout=0)  # not confirmed: handed out again, same ids
    assert [u.update_id for u in again] == [u.update_id for u in first]
    confirmed = await bot.get_updates(offset=first[1].update_id, timeout=0)  # confirms the first only
    assert [u.update_id for u in confirmed] == [u.update_id for u in first[1:]]
    assert [u.update_id for u in await bot.get_updates(offset=first[0].update_id, timeout=0)] == [
        u.update_id for u in first[1:]
    ]  # a lower offset later does not bring the confirmed one back
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [u.update_id for u in first[1:]]
    assert await bot.get_updates(offset=first[-1].update_id + 1, timeout=0) == ()
    assert await bot.get_updates(timeout=0) == () and fake.updates == []


async def test_a_held_method_waits_and_on_poll_sees_each_get_updates(fake: FakeTelegram, bot: Bot) -> None:
    seen: list[object] = []
    fake.on_poll = lambda params: seen.append(params.get("offset"))
    await bot.get_updates(offset=5, timeout=0)
    assert seen == [5]
    release = fake.hold("sendMessage")
    sending = asyncio.create_task(bot.send_message(42, "later"))
    await fake.wait_for(lambda: bool(fake.calls_of("sendMessage")))
    await asyncio.sleep(0.05)
    assert not sending.done() and fake.chat_messages(42) == []
    release.set()
    assert (await sending).text == "later"
