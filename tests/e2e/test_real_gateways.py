"""What real OpenAI-compatible gateways do (LiteLLM, llama.cpp, whisper and TTS servers, other Bot API servers),
and the clear answer each case gets."""

from __future__ import annotations

import logging

import pytest

from storage import ChatKey
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, RunningBot
from tests.images import jpeg

CLAUDE = "claude-sonnet-4-20250514"


async def ask(tg: FakeTelegram, text: str) -> str:
    before = len(tg.chat_messages(ALICE))
    tg.send_text(ALICE, text, user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) > before, timeout=15)
    return tg.chat_messages(ALICE)[-1].text or ""


def bodies(ww: FakeWenwen, path: str = "/v1/chat/completions") -> list[dict]:
    return [r.json for r in ww.requests_to(path)]


def refused(tg: FakeTelegram) -> list[str]:
    return [f"{c.method}: {c.description}" for c in tg.calls if not c.ok and c.status not in (0, 499) and not c.chaos]


# 1 ------------------------------------------------------------------------------------------------------------


async def test_model_list_that_cannot_be_loaded_says_why(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(wenwen_api_key="sk-wrong-key")
    shown = await ask(tg, "/model")
    assert "Could not load the model list: the gateway refused the bot's API key" in shown
    assert "/model <name>" in shown  # shown as text: the HTML was escaped, Telegram took it
    assert not [r for r in refused(tg) if "sendMessage" in r]


async def test_model_list_unreachable_says_so(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(wenwen_base_url="http://127.0.0.1:9", wenwen_connect_timeout=0.5)
    assert "the gateway cannot be reached" in await ask(tg, "/model")


# 2, 3 ---------------------------------------------------------------------------------------------------------


async def test_a_failing_tts_call_tells_the_user(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.script_speech(status=400, error_message="voice 'alloy' is not available on this server")
    shown = await ask(tg, "/tts read me this")
    assert "could not make the voice" in shown and "voice 'alloy' is not available" in shown
    assert "TTS_MODEL" in shown


async def test_a_failing_transcription_shows_the_gateways_words_and_fitting_advice(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ww.script_transcript(status=400, error_message="{'error': 'Invalid file format. Supported: wav, mp3'}")
    tg.send_media(ALICE, "voice", b"OggS" + b"\x00" * 200, user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    shown = tg.chat_messages(ALICE)[0].text or ""
    assert "Invalid file format. Supported: wav, mp3" in shown
    assert "{'error'" not in shown and "TRANSCRIBE_MODEL" in shown and "/new" not in shown


# 4, 5 ---------------------------------------------------------------------------------------------------------


async def test_an_empty_answer_is_called_empty(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.script(Reply(text=""))
    tg.send_text(ALICE, "say nothing", user_id=ALICE)
    await tg.wait_for(lambda: any("empty answer" in (m.text or "") for m in tg.chat_messages(ALICE)))
    assert not any("cut off" in (m.text or "") for m in tg.chat_messages(ALICE))


@pytest.mark.parametrize(
    "reply",
    [
        Reply(status=400, error_message="Invalid content type. image_url is only supported by certain models."),
        Reply(text=""),  # llama.cpp behind LiteLLM: an empty stream to a request with images
    ],
)
async def test_a_model_that_refuses_images_is_named_and_the_photo_is_not_resent(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, reply: Reply
) -> None:
    await ask(tg, "/model gpt-4o")
    ww.script(reply)
    tg.send_media(ALICE, "photo", jpeg(3), caption="what is it", user_id=ALICE)
    await tg.wait_for(lambda: any("cannot take the images" in (m.text or "") for m in tg.chat_messages(ALICE)))
    assert "VISION_MODEL" in tg.chat_messages(ALICE)[-1].text  # type: ignore[operator]
    assert await ask(tg, "and now just text") == "echo: and now just text"
    later = bodies(ww)[-1]["messages"]
    assert all(isinstance(m["content"], str) for m in later)  # the photo is a placeholder now


# 6 ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "description"), [(500, "Internal Server Error"), (404, "Not Found: method not found")]
)
async def test_drafts_that_fail_fall_back_to_edits_for_that_chat(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, status: int, description: str
) -> None:
    tg.fail_next("sendMessageDraft", status=status, description=description, times=100)
    ww.script(Reply(text="streamed by edits " * 30, chunks=10, delay=0.05), Reply(text="second answer"))
    await ask(tg, "first")
    await tg.wait_for(
        lambda: any(
            "streamed by edits" in (m.text or "") and "▌" not in (m.text or "") for m in tg.chat_messages(ALICE)
        )
    )
    assert tg.calls_of("editMessageText")  # the preview went on by edits
    await ask(tg, "second")
    assert len(tg.calls_of("sendMessageDraft")) == 1  # one refused draft, then never again for this chat


# 8, 9 ---------------------------------------------------------------------------------------------------------


async def test_only_a_refusal_about_tools_is_retried_without_tools(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ww.script(Reply(status=400, error_message="tools is not supported for this model"), Reply(text="fine without"))
    assert (await ask(tg, "hello")).endswith("fine without")
    first, second = bodies(ww)
    assert "tools" in first and "tools" not in second
    ww.script(Reply(status=400, error_message="Your request was flagged by the content filter"))
    await ask(tg, "something flagged")
    assert len(bodies(ww)) == 3  # one request: a content filter is not about tools


@pytest.mark.parametrize(
    "message",
    ["Invalid model name passed in model=gpt-9", "no available channel for model gpt-9", "model_not_found"],
)
async def test_an_unavailable_model_points_at_model(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, message: str
) -> None:
    ww.script(Reply(status=400, error_message=message))
    shown = await ask(tg, "hi")
    assert "is not available at the moment" in shown and "/model" in shown


async def test_a_refused_key_tells_the_user_to_ask_the_owner_and_logs_it_once(
    tg: FakeTelegram, ww: FakeWenwen, make_bot, caplog: pytest.LogCaptureFixture
) -> None:
    await make_bot(wenwen_api_key="sk-not-the-key")
    assert "owner" in await ask(tg, "hi")
    assert "owner" in await ask(tg, "again")
    owner_lines = [r for r in caplog.records if "refused WENWEN_API_KEY" in r.getMessage()]
    assert len(owner_lines) == 1 and owner_lines[0].levelno == logging.ERROR
    assert "sk-not-the-key" not in caplog.text


# 10 -----------------------------------------------------------------------------------------------------------


async def test_anthropic_prompt_tokens_reported_late_are_counted(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    await ask(tg, f"/model {CLAUDE}")
    ww.script(Reply(text="counted", usage={"input_tokens": 321, "output_tokens": 7}, late_usage=True))
    await ask(tg, "count me")
    await bot.services.turn_queue.idle()
    report = await bot.services.conversations.usage(ALICE)
    assert [(r.model, r.prompt_tokens) for r in report.today] == [(CLAUDE, 321)]


# 11 -----------------------------------------------------------------------------------------------------------


async def test_web_search_on_a_chat_only_model_says_once_which_models_can(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    await ask(tg, "/model gpt-4o-mini")
    await bot.services.conversations.change_setting(_alice(), "web_search", 1)
    tg.send_text(ALICE, "search something", user_id=ALICE)
    await tg.wait_for(lambda: any((m.text or "").startswith("echo:") for m in tg.chat_messages(ALICE)))
    notices = [m.text for m in tg.chat_messages(ALICE) if "cannot search the web" in (m.text or "")]
    assert len(notices) == 1 and "gpt-4.1" in notices[0]  # type: ignore[operator]
    await ask(tg, "again")
    assert len([m for m in tg.chat_messages(ALICE) if "cannot search the web" in (m.text or "")]) == 1


async def test_search_preview_models_search_from_chat_completions(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    ww.models.append(
        {
            "id": "gpt-4o-search-preview",
            "object": "model",
            "created": 1,
            "owned_by": "openai",
            "supported_endpoint_types": ["openai"],
        }
    )
    bot = await make_bot()  # after the model is listed: the bot reads the list at start
    await ask(tg, "/model gpt-4o-search-preview")
    await bot.services.conversations.change_setting(_alice(), "web_search", 1)
    await ask(tg, "news today?")
    assert bodies(ww)[-1]["web_search_options"] == {}
    assert not any("cannot search" in (m.text or "") for m in tg.chat_messages(ALICE))


def _alice() -> ChatKey:
    return ChatKey(ALICE)
