"""After a crash: unanswered questions are answered, interrupted answers explained with 🔄, previews closed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite

from bot.core.recovery import plan_recovery
from storage import ChatKey, MessageStatus, Storage
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, RunningBot

GROUP = -100777


def chat_bodies(ww: FakeWenwen) -> list[dict]:
    return [r.json for r in ww.requests_to("/v1/chat/completions")]


async def crash_while_answering(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, chat_id: int, text: str) -> None:
    """The bot dies (in-process: stopped without finishing) while the answer streams; the preview stays."""
    hold = asyncio.Event()
    ww.script(Reply(text="a partial answer that will never finish", chunks=4, hold=hold))
    if chat_id < 0:
        tg.send_text(chat_id, f"@{tg.bot_user['username']} {text}", user_id=ALICE, chat_type="supergroup")
        await tg.wait_for(lambda: bool(tg.chat_messages(chat_id)))  # the live preview with ⏹
    else:
        tg.send_text(chat_id, text, user_id=ALICE)
    await ww.wait_for(lambda: ww.streams_open == 1)
    conversation = await bot.services.storage.conversations.active(ChatKey(chat_id))
    await checkpointed(bot, conversation)
    await bot.crash()
    hold.set()


async def checkpointed(bot: RunningBot, conversation: int) -> None:
    """The partial text reaches the database (the checkpoint runs every few seconds while streaming)."""
    storage = bot.services.storage.conversations
    rows = await storage.all_messages(conversation)
    await storage.checkpoint(rows[-1].id, "a partial answer")


async def test_an_answer_cut_off_moments_ago_is_answered_again_once(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    first = await make_bot()
    await crash_while_answering(tg, ww, first, ALICE, "are you there?")
    ww.script(Reply(text="yes, here is the whole answer"))
    bot = await make_bot()
    await tg.wait_for(lambda: any(m.text == "yes, here is the whole answer" for m in tg.chat_messages(ALICE)))
    await bot.services.turn_queue.idle()
    bodies = chat_bodies(ww)
    assert len(bodies) == 2 and bodies[1]["messages"] == [{"role": "user", "content": "are you there?"}]
    assert [m.text for m in tg.chat_messages(ALICE)] == ["yes, here is the whole answer"]
    stored = await bot.services.storage.conversations.all_messages(1)
    assert [(m.role, m.status) for m in stored] == [
        ("user", MessageStatus.COMPLETE),
        ("assistant", MessageStatus.SUPERSEDED),
        ("assistant", MessageStatus.COMPLETE),
    ]


async def test_a_group_preview_left_with_a_stop_button_is_closed_and_retry_answers_again(
    tg: FakeTelegram, ww: FakeWenwen, make_bot, db_path
) -> None:
    first = await make_bot()
    await crash_while_answering(tg, ww, first, GROUP, "write a poem")
    preview = tg.chat_messages(GROUP)[0]
    assert "stop" in str(preview.reply_markup)
    await _age_in_file(db_path, 600)  # cut off ten minutes ago: the user is told, not charged again
    bot = await make_bot()
    await tg.wait_for(lambda: "retry:" in str(tg.get_message(GROUP, preview.message_id).reply_markup))
    closed = tg.get_message(GROUP, preview.message_id)
    assert closed is not None and "a partial answer" in (closed.text or "")
    assert "cut off by a restart" in (closed.text or "") and "▌" not in (closed.text or "")
    assert len(chat_bodies(ww)) == 1  # nothing was asked again by itself

    data = closed.reply_markup["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    ww.script(Reply(text="a complete poem"))
    tg.press_button(GROUP, closed.message_id, data, user_id=ALICE)
    await tg.wait_for(lambda: any(m.text == "a complete poem" for m in tg.chat_messages(GROUP)))
    assert chat_bodies(ww)[1]["messages"][-1]["content"] == "write a poem"
    tg.press_button(GROUP, closed.message_id, data, user_id=ALICE, allow_unknown_data=True)
    answers = lambda: [c.params.get("text", "") for c in tg.calls_of("answerCallbackQuery")]  # noqa: E731
    await tg.wait_for(lambda: any("older answer" in text for text in answers()))
    await bot.services.turn_queue.idle()
    assert len(chat_bodies(ww)) == 2  # the second press answered nothing again


async def _age_in_file(db_path: Path, seconds: float) -> None:
    """The crash happened `seconds` earlier than it did."""
    async with aiosqlite.connect(db_path) as conn:
        await conn.execute("UPDATE messages SET created_at = created_at - ? WHERE status = 'pending'", (seconds,))
        await conn.commit()


async def test_a_private_interrupted_answer_is_sent_with_a_note_when_the_draft_is_gone(
    tg: FakeTelegram, ww: FakeWenwen, make_bot, db_path
) -> None:
    first = await make_bot()
    await crash_while_answering(tg, ww, first, ALICE, "explain tides")
    await _age_in_file(db_path, 600)
    await make_bot()
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    [notice] = tg.chat_messages(ALICE)
    assert (notice.text or "").startswith("a partial answer") and "🔄" in (notice.text or "")
    assert "retry:" in str(notice.reply_markup)
    assert len(chat_bodies(ww)) == 1


async def test_a_question_that_never_got_its_turn_is_answered_and_a_passed_one_is_not(
    tg: FakeTelegram, ww: FakeWenwen, make_bot, db_path: Path
) -> None:
    left = await Storage.open(db_path)  # what a crashed process left in the database
    storage = left.conversations
    conversation = await storage.active(ChatKey(ALICE))
    await storage.add_message(conversation, "user", "the old question", token_estimate=5, user_id=ALICE)
    old = await storage.begin_answer(conversation)
    assert old is not None
    await storage.add_message(
        conversation, "user", "asked just before the crash", token_estimate=5, user_id=ALICE, tg_message_id=5, lang="zh"
    )
    await left.close()
    restarted = await make_bot()
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    await restarted.services.turn_queue.idle()
    [body] = chat_bodies(ww)
    assert body["messages"][-1] == {"role": "user", "content": "asked just before the crash"}
    assert body["messages"][1]["content"].startswith("[no answer")  # the passed one stays a separate question
    assert [m.text for m in tg.chat_messages(ALICE)] == ["echo: asked just before the crash"]


async def test_an_answer_stored_but_never_shown_is_sent_from_the_database(
    tg: FakeTelegram, ww: FakeWenwen, make_bot, db_path: Path
) -> None:
    left = await Storage.open(db_path)
    storage = left.conversations
    conversation = await storage.active(ChatKey(ALICE))
    await storage.add_message(conversation, "user", "quick question", token_estimate=5, user_id=ALICE)
    row = await storage.begin_answer(conversation)
    assert row is not None
    await storage.finish_answer(row, "the **stored** answer", MessageStatus.COMPLETE, token_estimate=5)
    await left.close()  # the process died between storing the answer and sending it
    restarted = await make_bot()
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    [shown] = tg.chat_messages(ALICE)
    assert shown.text == "the stored answer" and shown.entities[0]["type"] == "bold"
    assert not chat_bodies(ww)  # nothing asked again
    for _ in range(250):  # the recovery marks the answer delivered right after sending it
        if not await restarted.services.storage.conversations.unfinished(since=0):
            break
        await asyncio.sleep(0.02)
    assert await plan_recovery(restarted.services.storage) == []  # a second restart has nothing left to do
