"""A private chat end to end: drafts while streaming, one final message with entities, history."""

from __future__ import annotations

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, RunningBot
from tests.postgres import BACKENDS

# the representative end-to-end slice that runs on PostgreSQL too (tests/postgres.py)
pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


def user_messages(ww: FakeWenwen) -> list[list[dict]]:
    return [r.json["messages"] for r in ww.requests_to("/v1/chat/completions")]


async def wait_answer(tg: FakeTelegram, chat_id: int, count: int) -> None:
    await tg.wait_for(lambda: len(tg.chat_messages(chat_id)) >= count, timeout=15)


async def test_streamed_answer_uses_drafts_then_one_final_message(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ww.script(Reply(text="Here is **bold** and `code`.\n\n```python\nprint('hi')\n```", chunks=6, delay=0.1))
    tg.send_text(ALICE, "hello there", user_id=ALICE)
    await wait_answer(tg, ALICE, 1)

    drafts = tg.drafts(ALICE)
    assert len(drafts) >= 2, "the answer should be streamed as drafts"
    assert drafts[0].params.get("text", "") == ""  # "Thinking…" first
    assert any("bold" in d.params.get("text", "") for d in drafts[1:])
    assert not tg.calls_of("editMessageText")

    final = tg.chat_messages(ALICE)[-1]
    assert final.text == "Here is bold and code.\n\nprint('hi')"
    kinds = {e["type"] for e in final.entities}
    assert {"bold", "code", "pre"} <= kinds
    assert final.reply_markup == {"inline_keyboard": [[{"text": "🔄 Answer again", "callback_data": "retry:2"}]]}
    sends = [c for c in tg.calls_of("sendMessage") if c.params["chat_id"] == ALICE]
    assert "parse_mode" not in sends[-1].params

    request = ww.requests_to("/v1/chat/completions")[0].json
    assert request["stream"] is True
    assert request["model"] == "gpt-4o-mini"
    assert request["messages"] == [{"role": "user", "content": "hello there"}]


async def test_second_request_carries_the_history_verbatim(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.script(Reply(text="First **answer**."), Reply(text="Second answer."))
    tg.send_text(ALICE, "question one", user_id=ALICE)
    await wait_answer(tg, ALICE, 1)
    tg.send_text(ALICE, "question two", user_id=ALICE)
    await wait_answer(tg, ALICE, 2)

    assert user_messages(ww)[1] == [
        {"role": "user", "content": "question one"},
        {"role": "assistant", "content": "First **answer**."},
        {"role": "user", "content": "question two"},
    ]


async def test_history_survives_a_restart_on_the_same_database(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    first = await make_bot()
    tg.send_text(ALICE, "remember 42", user_id=ALICE)
    await wait_answer(tg, ALICE, 1)
    await first.stop()

    await make_bot()
    tg.send_text(ALICE, "what number?", user_id=ALICE)
    await wait_answer(tg, ALICE, 2)
    assert user_messages(ww)[1] == [
        {"role": "user", "content": "remember 42"},
        {"role": "assistant", "content": "echo: remember 42"},
        {"role": "user", "content": "what number?"},
    ]


async def test_new_starts_a_fresh_conversation_and_keeps_settings(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_text(ALICE, "/model gpt-4o", user_id=ALICE)
    await wait_answer(tg, ALICE, 1)
    tg.send_text(ALICE, "old topic", user_id=ALICE)
    await wait_answer(tg, ALICE, 2)
    tg.send_text(ALICE, "/new", user_id=ALICE)
    await wait_answer(tg, ALICE, 3)
    assert "New conversation" in tg.chat_messages(ALICE)[-1].text
    tg.send_text(ALICE, "new topic", user_id=ALICE)
    await wait_answer(tg, ALICE, 4)

    last = ww.requests_to("/v1/chat/completions")[-1].json
    assert last["messages"] == [{"role": "user", "content": "new topic"}]
    assert last["model"] == "gpt-4o"


async def test_model_picker_switches_the_model_of_the_next_request(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_text(ALICE, "/model", user_id=ALICE)
    await wait_answer(tg, ALICE, 1)
    picker = tg.chat_messages(ALICE)[-1]
    buttons = [b for row in picker.reply_markup["inline_keyboard"] for b in row]
    labels = [b["text"] for b in buttons]
    assert "✅ gpt-4o-mini" in labels
    assert not any(label.startswith(("mj_", "whisper", "dall-e")) for label in labels)
    other = next(b for b in buttons if b["text"] == "gpt-4o")
    tg.press_button(ALICE, picker.message_id, other["callback_data"], user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.calls_of("answerCallbackQuery")))

    tg.send_text(ALICE, "hi", user_id=ALICE)
    await tg.wait_for(lambda: len(ww.requests_to("/v1/chat/completions")) == 1)
    assert ww.requests_to("/v1/chat/completions")[0].json["model"] == "gpt-4o"


async def test_unknown_model_name_is_refused_with_a_hint(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    tg.send_text(ALICE, "/model no-such-model", user_id=ALICE)
    await wait_answer(tg, ALICE, 1)
    assert "no-such-model" in tg.chat_messages(ALICE)[-1].text
    assert "/model" in tg.chat_messages(ALICE)[-1].text
    tg.send_text(ALICE, "hi", user_id=ALICE)
    await wait_answer(tg, ALICE, 2)
    assert ww.requests_to("/v1/chat/completions")[0].json["model"] == "gpt-4o-mini"
