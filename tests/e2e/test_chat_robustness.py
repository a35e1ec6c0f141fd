"""/stop, long answers, gateway failures, strangers and secrets in logs."""

from __future__ import annotations

import asyncio

import pytest
from telegramify_markdown import utf16_len

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, API_KEY, STRANGER, TOKEN, RunningBot

GROUP = -100777


async def test_stop_mid_answer_closes_upstream_and_keeps_the_partial_text(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    hold = asyncio.Event()
    ww.script(Reply(text="Partial words then much more that nobody will pay for", chunks=8, hold=hold))
    tg.send_text(ALICE, "tell me a long story", user_id=ALICE)
    await tg.wait_for(lambda: any("Partial" in d.params.get("text", "") for d in tg.drafts(ALICE)))

    tg.send_text(ALICE, "/stop", user_id=ALICE)
    await ww.wait_for(lambda: ww.disconnects == 1)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) >= 1)
    hold.set()

    final = tg.chat_messages(ALICE)[-1]
    assert final.text.startswith("Partial")
    assert "stopped" in final.text
    assert "nobody will pay" not in final.text
    stored = await bot.services.storage.conversations.all_messages(1)
    assert [(m.role, m.status.value) for m in stored] == [("user", "complete"), ("assistant", "partial")]
    assert stored[1].content.startswith("Partial") and "stopped" not in stored[1].content


async def test_stop_button_in_a_group_cancels_the_answer(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    hold = asyncio.Event()
    ww.script(Reply(text="Group partial answer and the rest", chunks=6, hold=hold))
    tg.send_text(GROUP, "@wenwen_test_bot go", user_id=ALICE, chat_type="supergroup")
    await tg.wait_for(lambda: bool(tg.chat_messages(GROUP)) and tg.chat_messages(GROUP)[0].reply_markup is not None)
    live = tg.chat_messages(GROUP)[0]
    stop_data = live.reply_markup["inline_keyboard"][0][0]["callback_data"]
    tg.press_button(GROUP, live.message_id, stop_data, user_id=ALICE)
    await ww.wait_for(lambda: ww.disconnects == 1)
    await tg.wait_for(lambda: "stop" not in str(tg.chat_messages(GROUP)[0].reply_markup))
    hold.set()
    final = tg.chat_messages(GROUP)[0].text
    assert final.startswith("Group") and "the rest" not in final
    assert "stopped" in final


async def test_twelve_thousand_characters_arrive_whole_in_pieces(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    paragraphs = [f"Paragraph {i}: " + "lorem ipsum dolor sit amet " * 4 for i in range(110)]
    text = "\n\n".join(paragraphs)[:12000]
    assert len(text) == 12000
    ww.script(Reply(text=text, chunks=40))
    tg.send_text(ALICE, "long please", user_id=ALICE)
    await tg.wait_for(lambda: any(m.text.endswith(text[-20:]) for m in tg.chat_messages(ALICE)), timeout=20)

    pieces = [m.text for m in tg.chat_messages(ALICE)]
    assert len(pieces) >= 3
    assert all(utf16_len(p) <= 4096 for p in pieces)
    # Markdown rendering folds whitespace at line ends; every other character arrives, in order
    assert "".join("".join(pieces).split()) == "".join(text.split())


async def test_group_answer_is_one_message_edited_in_place(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.script(Reply(text="A *group* answer that grows word by word until it is done.", chunks=8, delay=0.25))
    user_msg = tg.send_text(GROUP, "@wenwen_test_bot hello group", user_id=ALICE, chat_type="supergroup")
    await tg.wait_for(
        lambda: bool(tg.chat_messages(GROUP)) and tg.chat_messages(GROUP)[-1].text.endswith("done."), timeout=15
    )
    answers = tg.chat_messages(GROUP)
    assert len(answers) == 1
    assert answers[0].edits >= 1
    assert answers[0].reply_to == user_msg
    assert {e["type"] for e in answers[0].entities} == {"italic"}
    assert not tg.drafts(GROUP)
    assert ww.requests_to("/v1/chat/completions")[0].json["messages"][-1]["content"] == "hello group"


async def test_group_ignores_messages_not_meant_for_the_bot(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.send_text(GROUP, "just people talking", user_id=ALICE, chat_type="supergroup")
    tg.send_text(GROUP, "@wenwen_test_bot now you", user_id=ALICE, chat_type="supergroup")
    await tg.wait_for(lambda: len(tg.chat_messages(GROUP)) == 1)
    assert len(ww.requests_to("/v1/chat/completions")) == 1


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(status=500, error_message="请求上游地址失败", error_code="do_request_failed"), "Try again"),
        (Reply(text="Half an ans", cut=True, cut_after=2, chunks=4), "cut off"),
        (Reply(status=401, error_message="无效的令牌"), "API key was refused"),
        (Reply(status=429, error_message="当前分组上游负载已饱和，请稍后再试"), "busy"),
        (Reply(status=503, error_message="当前分组 default 下对于模型 gpt-4o-mini 无可用渠道"), "not available"),
        (Reply(mid_stream_error={"message": "overloaded", "type": "upstream_error"}, cut_after=1), "failed"),
    ],
)
async def test_gateway_failure_becomes_a_clear_message_and_the_next_turn_works(
    tg: FakeTelegram, ww: FakeWenwen, make_bot, reply: Reply, expected: str
) -> None:
    await make_bot(wenwen_retries=0)
    ww.script(reply)
    tg.send_text(ALICE, "first", user_id=ALICE)
    await tg.wait_for(lambda: any(expected in m.text for m in tg.chat_messages(ALICE)), timeout=15)
    error_message = next(m for m in tg.chat_messages(ALICE) if expected in m.text)
    assert "Traceback" not in error_message.text
    if reply.status != 200:
        assert "Request id:" in error_message.text

    ww.script(Reply(text="All good now."))
    tg.send_text(ALICE, "second", user_id=ALICE)
    await tg.wait_for(lambda: tg.chat_messages(ALICE)[-1].text == "All good now.", timeout=15)


async def test_a_failure_before_the_answer_starts_is_retried_once(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ww.script(Reply(status=502, plain_body="<html>502 Bad Gateway</html>"), Reply(text="Recovered."))
    tg.send_text(ALICE, "hi", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert [m.text for m in tg.chat_messages(ALICE)] == ["Recovered."]
    assert len(ww.requests_to("/v1/chat/completions")) == 2


async def test_unauthorized_is_never_retried(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.script(Reply(status=401, error_message="无效的令牌"))
    tg.send_text(ALICE, "hi", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    assert len(ww.requests_to("/v1/chat/completions")) == 1


async def test_a_stranger_is_refused_without_any_gateway_call(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_text(STRANGER, "let me in", user_id=STRANGER)
    await tg.wait_for(lambda: bool(tg.chat_messages(STRANGER)))
    refusal = tg.chat_messages(STRANGER)[0].text
    assert str(STRANGER) in refusal
    assert "owner" in refusal
    assert not ww.requests_to("/v1/chat/completions")
    assert [r.path for r in ww.requests] in ([], ["/v1/models"])  # only the list the bot reads at start


async def test_logs_never_contain_the_token_or_the_key(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    ww.script(Reply(status=401, error_message="无效的令牌"))
    tg.send_text(ALICE, "hello", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    tg.send_text(ALICE, "again", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) >= 2)
    assert any("turn chat=" in r.getMessage() for r in caplog.records)
    logged = caplog.text
    secret_part = TOKEN.split(":")[1]
    assert secret_part not in logged
    assert API_KEY not in logged and API_KEY.removeprefix("sk-") not in logged
