"""bot/render/stream.py: StreamingReply against the fake Bot API with a real telegram.Bot.

Time is a fake clock handed to StreamingReply, so throttling is exact and nothing sleeps.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.render.markdown import MAX_TEXT, render, render_pieces
from bot.render.stream import CURSOR, StreamingReply
from bot.render.telegram_io import Target, TelegramText
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_text import NOT_MODIFIED

PRIVATE = 4242
GROUP = -100777
STOP = InlineKeyboardMarkup([[InlineKeyboardButton("⏹ Stop", callback_data="stop:1")]])


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def tgbot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = Bot(tg.token, base_url=f"{tg.base_url}/bot", base_file_url=f"{tg.base_url}/file/bot")
    async with bot:
        yield bot


@pytest.fixture
def clock() -> Clock:
    return Clock()


def u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def nonspace(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


def private_reply(bot: Bot, clock: Clock, interval: float = 1.0) -> StreamingReply:
    return StreamingReply(
        TelegramText(bot, Target(PRIVATE)), use_drafts=True, interval=interval, stop_markup=STOP, clock=clock
    )


def group_reply(bot: Bot, clock: Clock, interval: float = 3.0) -> StreamingReply:
    return StreamingReply(
        TelegramText(bot, Target(GROUP)), use_drafts=False, interval=interval, stop_markup=STOP, clock=clock
    )


def texts(tg: FakeTelegram, chat_id: int) -> list[str | None]:
    return [m.text for m in tg.chat_messages(chat_id)]


def ok_calls(tg: FakeTelegram, method: str) -> list[object]:
    return [c for c in tg.calls_of(method) if c.ok]


async def step(reply: StreamingReply, clock: Clock, at: float, markdown: str) -> None:
    clock.now = at
    await reply.update(markdown)


LONG_ANSWER = "\n\n".join(
    f"Paragraph {i}: **important** words, `code {i}` and a [link](https://example.com/{i}) 😀 " + "lorem ipsum " * 12
    for i in range(45)
)
assert 9_000 < len(LONG_ANSWER) < 12_000


# ---------------------------------------------------------------------------------- drafts (private chats)


async def test_drafts_are_throttled_by_the_interval(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = private_reply(tgbot, clock, interval=1.0)
    await reply.begin()
    for at, text in [
        (0.0, "Hel"),
        (0.3, "Hello"),
        (0.9, "Hello wor"),
        (1.0, "Hello world"),
        (1.5, "Hello world!"),
        (2.0, "Hello world!!"),
    ]:
        await step(reply, clock, at, text)
    drafts = tg.drafts(PRIVATE)
    assert [d.params.get("text") for d in drafts] == [
        "",
        "Hel" + CURSOR,
        "Hello world" + CURSOR,
        "Hello world!!" + CURSOR,
    ]
    assert len({d.params["draft_id"] for d in drafts}) == 1, "one draft id animates one bubble"
    assert tg.calls_of("sendMessage") == [] and tg.calls_of("editMessageText") == []

    ids = await reply.finish("Hello **world**!!!")
    (message,) = tg.chat_messages(PRIVATE)
    assert ids == [message.message_id]
    assert message.text == "Hello world!!!"
    assert message.entities == [{"type": "bold", "offset": 6, "length": 5}]
    assert message.reply_markup is None, "the final answer carries no stop button"
    assert tg.calls_of("editMessageText") == []


async def test_identical_preview_is_not_sent_twice(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = private_reply(tgbot, clock, interval=1.0)
    await step(reply, clock, 0.0, "same text")
    await step(reply, clock, 5.0, "same text")
    assert len(tg.drafts(PRIVATE)) == 1


async def test_idle_draft_is_kept_alive_while_the_model_thinks(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = private_reply(tgbot, clock, interval=1.0)
    await reply.begin()
    await step(reply, clock, 10.0, "")
    assert len(tg.drafts(PRIVATE)) == 1
    await step(reply, clock, 21.0, "")
    assert [d.params.get("text") for d in tg.drafts(PRIVATE)] == ["", ""]


async def test_refused_draft_falls_back_to_send_and_edit(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    tg.fail_next("sendMessageDraft", description="Bad Request: method is available only for private chats")
    reply = private_reply(tgbot, clock, interval=1.0)
    await reply.begin()  # refused: no exception
    await step(reply, clock, 0.0, "Hello")
    await step(reply, clock, 1.0, "Hello world")
    (live,) = tg.chat_messages(PRIVATE)
    assert live.text == "Hello world" + CURSOR
    assert live.reply_markup == STOP.to_dict(), "the live message carries the stop button"
    assert len(ok_calls(tg, "editMessageText")) == 1

    ids = await reply.finish("Hello world, done.")
    assert len(tg.calls_of("sendMessageDraft")) == 1, "no more drafts after Telegram refused one"
    (final,) = tg.chat_messages(PRIVATE)
    assert ids == [final.message_id] == [live.message_id]
    assert final.text == "Hello world, done."
    assert final.reply_markup is None


async def test_draft_refused_mid_stream_switches_at_once(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = private_reply(tgbot, clock, interval=1.0)
    await reply.begin()
    tg.fail_next("sendMessageDraft", description="Bad Request: method is available only for private chats")
    await step(reply, clock, 0.0, "first words")  # refused
    await step(reply, clock, 0.1, "first words and more")  # not throttled: shown right away by sendMessage
    assert texts(tg, PRIVATE) == ["first words and more" + CURSOR]
    await reply.finish("first words and more, the end")
    assert texts(tg, PRIVATE) == ["first words and more, the end"]


async def test_drafts_in_a_group_fall_back_by_themselves(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = StreamingReply(TelegramText(tgbot, Target(GROUP)), use_drafts=True, interval=1.0, clock=clock)
    await reply.begin()
    await step(reply, clock, 0.0, "group text")
    await reply.finish("group text, finished")
    assert texts(tg, GROUP) == ["group text, finished"]
    assert not ok_calls(tg, "sendMessageDraft")


async def test_429_on_a_draft_pauses_previews(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = private_reply(tgbot, clock, interval=1.0)
    tg.fail_next("sendMessageDraft", status=429, retry_after=5)
    async with asyncio.timeout(3):  # RetryAfter on a preview must not be slept through
        await step(reply, clock, 0.0, "a")
        await step(reply, clock, 2.0, "ab")
        await step(reply, clock, 4.9, "abc")
        assert tg.drafts(PRIVATE) == []
        await step(reply, clock, 5.0, "abcd")
    assert [d.params.get("text") for d in tg.drafts(PRIVATE)] == ["abcd" + CURSOR]


# ---------------------------------------------------------------------------------- edits (groups)


async def test_group_sends_once_then_edits_throttled(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = group_reply(tgbot, clock, interval=3.0)
    await reply.begin()
    assert [c.params.get("action") for c in tg.calls_of("sendChatAction")] == ["typing"]
    await step(reply, clock, 0.0, "Hello")
    await step(reply, clock, 1.0, "Hello wo")
    await step(reply, clock, 2.9, "Hello wor")
    await step(reply, clock, 3.0, "Hello world")
    await step(reply, clock, 4.0, "Hello world!")
    assert len(tg.calls_of("sendMessage")) == 1
    assert len(tg.calls_of("editMessageText")) == 1
    assert texts(tg, GROUP) == ["Hello world" + CURSOR]
    assert tg.calls_of("sendMessageDraft") == []


async def test_not_modified_on_a_live_edit_is_success(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = group_reply(tgbot, clock)
    await step(reply, clock, 0.0, "one")
    tg.fail_next("editMessageText", description=NOT_MODIFIED)
    await step(reply, clock, 3.0, "one two")  # no exception
    await step(reply, clock, 6.0, "one two three")
    assert len(tg.calls_of("sendMessage")) == 1, "not-modified must not start a new message"
    assert texts(tg, GROUP) == ["one two three" + CURSOR]


async def test_not_modified_on_the_final_edit_is_success(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = group_reply(tgbot, clock)
    await step(reply, clock, 0.0, "answer")
    (live,) = tg.chat_messages(GROUP)
    tg.fail_next("editMessageText", description=NOT_MODIFIED)
    ids = await reply.finish("answer")
    assert ids == [live.message_id]
    assert len(tg.calls_of("sendMessage")) == 1, "a not-modified final edit must not resend the answer"
    assert len(tg.chat_messages(GROUP)) == 1


async def test_429_on_a_live_edit_pauses_previews_without_raising(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = group_reply(tgbot, clock, interval=3.0)
    await step(reply, clock, 0.0, "a")
    tg.fail_next("editMessageText", status=429, retry_after=7)
    async with asyncio.timeout(3):  # the live edit must skip a beat, not sleep 7 s
        await step(reply, clock, 3.0, "ab")  # 429: paused until 10.0
        await step(reply, clock, 6.0, "abc")
        await step(reply, clock, 9.9, "abcd")
        assert len(tg.calls_of("editMessageText")) == 1
        await step(reply, clock, 10.0, "abcde")
    edits = tg.calls_of("editMessageText")
    assert [c.status for c in edits] == [429, 200]
    assert texts(tg, GROUP) == ["abcde" + CURSOR]
    await reply.finish("abcdef")
    assert texts(tg, GROUP) == ["abcdef"]


# ---------------------------------------------------------------------------------- long answers


def assert_pieces_in_chat(tg: FakeTelegram, chat_id: int, ids: list[int], markdown: str) -> None:
    expected = render_pieces(markdown)
    assert len(expected) >= 3
    assert len(ids) == len(expected) == len(set(ids))
    messages = {m.message_id: m for m in tg.chat_messages(chat_id)}
    assert sorted(messages) == sorted(ids), "no stray or missing messages"
    for message_id, (piece_text, piece_entities) in zip(ids, expected, strict=True):
        message = messages[message_id]
        assert message.text == piece_text
        assert u16(message.text) <= MAX_TEXT
        assert len(message.entities) == len(piece_entities)
        assert message.reply_markup is None
    joined = "".join(messages[i].text or "" for i in ids)
    assert nonspace(joined) == nonspace(render(markdown)[0])


async def test_long_answer_in_edit_mode_reuses_the_live_message(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = group_reply(tgbot, clock)
    await step(reply, clock, 0.0, LONG_ANSWER[:200])
    (live,) = tg.chat_messages(GROUP)
    ids = await reply.finish(LONG_ANSWER)
    assert ids[0] == live.message_id, "the live message becomes piece 1"
    assert_pieces_in_chat(tg, GROUP, ids, LONG_ANSWER)


async def test_long_answer_streamed_in_edit_mode_freezes_pieces(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = group_reply(tgbot, clock)
    for index, end in enumerate(range(500, len(LONG_ANSWER), 1500)):
        await step(reply, clock, 3.0 * index, LONG_ANSWER[:end])
    frozen_during_stream = [m.message_id for m in tg.chat_messages(GROUP)]
    assert len(frozen_during_stream) >= 2, "a long stream continues in a new message"
    for message in tg.chat_messages(GROUP):
        assert u16(message.text or "") <= MAX_TEXT
    ids = await reply.finish(LONG_ANSWER)
    assert ids[: len(frozen_during_stream)] == frozen_during_stream
    assert_pieces_in_chat(tg, GROUP, ids, LONG_ANSWER)


async def test_long_answer_with_drafts_is_sent_in_pieces(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = private_reply(tgbot, clock)
    await reply.begin()
    for index, end in enumerate(range(500, len(LONG_ANSWER), 1500)):
        await step(reply, clock, float(index), LONG_ANSWER[:end])
    for draft in tg.drafts(PRIVATE):
        assert u16(draft.params.get("text", "")) <= MAX_TEXT
    ids = await reply.finish(LONG_ANSWER)
    assert_pieces_in_chat(tg, PRIVATE, ids, LONG_ANSWER)


# ---------------------------------------------------------------------------------- final-message fallbacks


async def test_refused_entities_at_the_final_send_fall_back_to_plain_text(
    tg: FakeTelegram, tgbot: Bot, clock: Clock
) -> None:
    reply = private_reply(tgbot, clock)
    await step(reply, clock, 0.0, "Some **bold")
    tg.fail_next("sendMessage", description="Bad Request: can't parse entities: Can't find end of Bold entity")
    ids = await reply.finish("Some **bold** text")
    (message,) = tg.chat_messages(PRIVATE)
    assert ids == [message.message_id]
    assert message.text == "Some bold text"
    assert message.entities == []
    sends = tg.calls_of("sendMessage")
    assert [c.status for c in sends] == [400, 200]
    assert sends[0].params.get("entities") and not sends[1].params.get("entities")


async def test_refused_entities_at_the_final_edit_fall_back_to_plain_text(
    tg: FakeTelegram, tgbot: Bot, clock: Clock
) -> None:
    reply = group_reply(tgbot, clock)
    await step(reply, clock, 0.0, "Some **bold")
    tg.fail_next("editMessageText", description="Bad Request: can't parse entities: Unsupported start tag")
    await reply.finish("Some **bold** text")
    assert texts(tg, GROUP) == ["Some bold text"]


async def test_failed_final_edit_sends_the_text_as_a_new_message(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = group_reply(tgbot, clock)
    await step(reply, clock, 0.0, "draft of the answer")
    (live,) = tg.chat_messages(GROUP)
    await tgbot.delete_message(GROUP, live.message_id)  # e.g. an admin removed the preview
    await reply.finish("the **whole** answer")
    (message,) = tg.chat_messages(GROUP)
    assert message.message_id != live.message_id
    assert message.text == "the whole answer"
    assert message.entities == [{"type": "bold", "offset": 4, "length": 5}]


async def test_failed_final_edit_for_another_reason_still_delivers(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = group_reply(tgbot, clock)
    await step(reply, clock, 0.0, "draft")
    tg.fail_next("editMessageText", status=400, description="Bad Request: message can't be edited")
    await reply.finish("final words")
    assert "final words" in texts(tg, GROUP)


async def test_failed_final_edit_returns_the_new_message_id(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = group_reply(tgbot, clock)
    await step(reply, clock, 0.0, "draft of the answer")
    (live,) = tg.chat_messages(GROUP)
    await tgbot.delete_message(GROUP, live.message_id)
    ids = await reply.finish("the whole answer")
    (message,) = tg.chat_messages(GROUP)
    assert ids == [message.message_id]
    assert reply.message_ids == [message.message_id]


async def test_finish_without_any_preview_sends_once(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = group_reply(tgbot, clock)
    ids = await reply.finish("short answer")
    assert texts(tg, GROUP) == ["short answer"]
    assert ids == [tg.chat_messages(GROUP)[0].message_id]


async def test_blank_answer_with_footer_shows_the_footer(tg: FakeTelegram, tgbot: Bot, clock: Clock) -> None:
    reply = group_reply(tgbot, clock)
    await reply.finish("   ", footer="⏹ stopped")
    assert texts(tg, GROUP) == ["⏹ stopped"]


async def test_final_answer_shorter_than_a_streamed_prefix_is_not_duplicated(
    tg: FakeTelegram, tgbot: Bot, clock: Clock
) -> None:
    body = "word " * 810
    url = "https://example.com/" + "p" * 80
    prefix = body + "[the docs](" + url  # the unfinished link renders literally: two pieces
    final = prefix + ") end."  # the finished link renders as two words: one piece
    assert len(render_pieces(prefix)) == 2 and len(render_pieces(final)) == 1
    reply = group_reply(tgbot, clock)
    await step(reply, clock, 0.0, prefix)
    assert len(tg.chat_messages(GROUP)) == 2
    ids = await reply.finish(final)
    final_text = render(final)[0]
    assert [m.text for m in tg.chat_messages(GROUP)].count(final_text) == 1
    assert len(ids) == 1


@pytest.mark.parametrize("use_drafts", [False, True])
async def test_random_streams_leave_exactly_the_answer(
    tg: FakeTelegram, tgbot: Bot, clock: Clock, use_drafts: bool
) -> None:
    """Seeded random streams of a long answer: whatever the update rhythm, the chat ends with its pieces."""
    rng = random.Random(1234 + use_drafts)
    for round_number in range(12):
        chat_id = (PRIVATE + 1 + round_number) if use_drafts else (GROUP - 1 - round_number)
        answer = LONG_ANSWER[: rng.randint(3000, len(LONG_ANSWER))]
        reply = StreamingReply(
            TelegramText(tgbot, Target(chat_id)), use_drafts=use_drafts, interval=1.0, stop_markup=STOP, clock=clock
        )
        await reply.begin()
        end = 0
        while end < len(answer):
            end = min(len(answer), end + rng.randint(1, 900))
            clock.now += rng.choice([0.2, 0.5, 1.0, 3.0])
            await reply.update(answer[:end])
        ids = await reply.finish(answer)
        expected = render_pieces(answer)
        messages = tg.chat_messages(chat_id)
        assert [m.message_id for m in messages] == ids, round_number
        assert [m.text for m in messages] == [text for text, _ in expected], round_number
        assert all(m.reply_markup is None for m in messages)
