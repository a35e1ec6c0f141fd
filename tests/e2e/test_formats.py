"""Every chat format: the right endpoint per model, reasoning folded, tools, web search, MCP, errors."""

from __future__ import annotations

import base64
import json

import pytest

from storage import ChatKey
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, API_KEY, RunningBot
from tests.images import jpeg

CLAUDE = "claude-sonnet-4-20250514"


async def ask(tg: FakeTelegram, text: str, count: int) -> None:
    tg.send_text(ALICE, text, user_id=ALICE)
    await tg.wait_for(lambda: len([m for m in tg.chat_messages(ALICE) if m.kind == "text"]) >= count, timeout=15)


def last_text(tg: FakeTelegram) -> str:
    return [m for m in tg.chat_messages(ALICE) if m.kind == "text"][-1].text or ""


async def test_claude_models_speak_anthropic_messages(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    await ask(tg, f"/model {CLAUDE}", 1)
    await ask(tg, "/system Be brief.", 2)
    ww.script(Reply(text="Bonjour **Alice**."))
    await ask(tg, "Say hello in French", 3)
    [request] = ww.requests_to("/v1/messages")
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.json["system"] == [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    assert request.json["messages"] == [{"role": "user", "content": "Say hello in French"}]  # text: a plain string
    assert request.json["max_tokens"] >= 1
    assert last_text(tg) == "Bonjour Alice."
    assert not ww.requests_to("/v1/chat/completions")
    await ask(tg, "And in German?", 4)
    history = ww.requests_to("/v1/messages")[1].json["messages"]
    assert history[1]["content"][-1]["cache_control"] == {"type": "ephemeral"}  # the cached prefix ends here
    assert history[-1]["content"] == "And in German?"  # the newest turn: plain, not a cache breakpoint


async def test_web_search_uses_responses_and_lists_the_sources(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    await ask(tg, "/model gpt-4.1", 1)
    tg.send_text(ALICE, "/settings", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    menu = tg.chat_messages(ALICE)[-1]
    web = next(b for row in menu.reply_markup["inline_keyboard"] for b in row if b["callback_data"] == "cfg:web_search")
    tg.press_button(ALICE, menu.message_id, web["callback_data"], user_id=ALICE)
    await tg.wait_for(
        lambda: "Web search: on" in json.dumps(tg.chat_messages(ALICE)[-1].reply_markup, ensure_ascii=False)
    )

    ww.script(
        Reply(
            text="Paris hosts the 2024 Olympics.",
            citations=[{"url": "https://example.org/olympics", "title": "Olympics 2024"}],
        )
    )
    await ask(tg, "Where are the 2024 Olympics?", 3)
    [request] = ww.requests_to("/v1/responses")
    assert {"type": "web_search_preview"} in request.json["tools"]
    assert request.json["input"][-1] == {"role": "user", "content": "Where are the 2024 Olympics?"}
    assert "previous_response_id" not in request.json
    final = [m for m in tg.chat_messages(ALICE) if m.kind == "text"][-1]
    assert final.text.startswith("🔎 Searched the web: Where are the 2024 Olympics?\n\nParis hosts the 2024 Olympics.")
    assert "Sources:\n1. Olympics 2024" in final.text
    links = [e for e in final.entities if e["type"] == "text_link"]
    assert links[-1]["url"] == "https://example.org/olympics"


@pytest.mark.parametrize(
    ("model", "endpoint", "needs_thinking"),
    [
        ("deepseek-reasoner", "/v1/chat/completions", False),
        ("o4-mini", "/v1/responses", True),
        (CLAUDE, "/v1/messages", True),
    ],
)
async def test_reasoning_is_shown_then_folded_above_the_answer_and_not_stored(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, model: str, endpoint: str, needs_thinking: bool
) -> None:
    await ask(tg, f"/model {model}", 1)
    if needs_thinking:
        await bot.services.conversations.change_setting(_chat(), "thinking", 1)
        await bot.services.conversations.change_setting(_chat(), "api_format", endpoint_format(endpoint))
    ww.script(Reply(text="The answer is 42.", reasoning="Six times seven is forty-two.", chunks=4, delay=0.05))
    await ask(tg, "What is six times seven?", 2)
    assert ww.requests_to(endpoint)
    final = [m for m in tg.chat_messages(ALICE) if m.kind == "text"][-1]
    assert final.text.startswith("💭 Six times seven is forty-two.")
    assert final.text.endswith("The answer is 42.")
    folded = next(e for e in final.entities if e["type"] == "expandable_blockquote")
    assert folded["offset"] == 0
    stored = await bot.services.storage.conversations.all_messages(1)
    assert stored[-1].content == "The answer is 42."
    if endpoint == "/v1/messages":
        body = ww.requests_to(endpoint)[0].json
        assert body["thinking"] == {"type": "enabled", "budget_tokens": 4096}
        assert body["max_tokens"] > 4096
    if endpoint == "/v1/responses":
        assert ww.requests_to(endpoint)[0].json["reasoning"] == {"effort": "medium", "summary": "auto"}


def endpoint_format(endpoint: str) -> str:
    return {"/v1/chat/completions": "chat", "/v1/responses": "responses", "/v1/messages": "messages"}[endpoint]


def _chat() -> ChatKey:
    return ChatKey(ALICE)


@pytest.mark.parametrize("model", ["gpt-4o", CLAUDE])
async def test_the_model_draws_with_the_generate_image_tool(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, model: str
) -> None:
    await ask(tg, f"/model {model}", 1)
    ww.script(
        Reply(text="", tool_calls=[{"name": "generate_image", "arguments": {"prompt": "a small red fox"}}]),
        Reply(text="Here is your fox."),
    )
    tg.send_text(ALICE, "draw me a fox", user_id=ALICE)
    await tg.wait_for(lambda: any(m.kind == "photo" for m in tg.chat_messages(ALICE)), timeout=15)
    assert ww.requests_to("/v1/images/generations")[0].json["prompt"] == "a small red fox"
    final = [m for m in tg.chat_messages(ALICE) if m.kind == "text"][-1].text or ""
    assert final.endswith("Here is your fox.") and "🎨 Drawing…" in final
    endpoint = "/v1/messages" if model == CLAUDE else "/v1/chat/completions"
    second = ww.requests_to(endpoint)[1].json
    assert any(tool.get("name", tool.get("function", {}).get("name")) == "generate_image" for tool in second["tools"])
    if model == CLAUDE:
        assert second["messages"][-2]["content"][-1]["type"] == "tool_use"
        assert second["messages"][-1]["content"][0]["type"] == "tool_result"
    else:
        assert second["messages"][-2]["tool_calls"][0]["function"]["name"] == "generate_image"
        assert second["messages"][-1]["role"] == "tool"
    stored = await bot.services.storage.conversations.all_messages(1)
    assert stored[-1].content == "Here is your fox."


async def test_a_tool_error_goes_back_to_the_model(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.script(
        Reply(text="", tool_calls=[{"name": "current_time", "arguments": {"timezone": "Mars/Olympus"}}]),
        Reply(text="I could not find that time zone."),
    )
    await ask(tg, "what time is it on Mars?", 1)
    tool_message = ww.requests_to("/v1/chat/completions")[1].json["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["content"].startswith("error: unknown time zone")
    assert last_text(tg).endswith("I could not find that time zone.")


async def test_mcp_servers_reach_claude_with_the_beta_header(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(mcp_servers='[{"name": "docs", "url": "https://mcp.example.org/sse"}]')
    await ask(tg, f"/model {CLAUDE}", 1)
    ww.script(
        Reply(
            text="The docs say hello.",
            tool_calls=[{"name": "search", "arguments": {"q": "hello"}, "server_name": "docs", "result": "hello doc"}],
        )
    )
    await ask(tg, "search the docs", 2)
    [request] = ww.requests_to("/v1/messages")
    assert request.headers["anthropic-beta"] == "mcp-client-2025-04-04"
    assert request.json["mcp_servers"] == [{"type": "url", "name": "docs", "url": "https://mcp.example.org/sse"}]
    final = last_text(tg)
    assert "🔌 docs.search" in final and "hello doc" in final and final.endswith("The docs say hello.")


@pytest.mark.parametrize("api_format", ["chat", "responses", "messages"])
async def test_a_mid_stream_error_in_each_format_becomes_a_clear_message(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot, api_format: str
) -> None:
    model = CLAUDE if api_format == "messages" else "gpt-4.1"
    await ask(tg, f"/model {model}", 1)
    await bot.services.conversations.change_setting(_chat(), "api_format", api_format)
    ww.script(Reply(text="Partial words and more", chunks=4, cut_after=1, mid_stream_error={"message": "Overloaded"}))
    tg.send_text(ALICE, "hi", user_id=ALICE)
    await tg.wait_for(lambda: any("failed to answer" in (m.text or "") for m in tg.chat_messages(ALICE)))
    ww.script(Reply(text="Fine now."))
    await ask(tg, "again", 4)
    assert last_text(tg) == "Fine now."


async def test_photos_are_converted_to_each_formats_image_part(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    photo = jpeg(7)
    await ask(tg, f"/model {CLAUDE}", 1)
    tg.send_media(ALICE, "photo", photo, caption="what is this", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    blocks = ww.requests_to("/v1/messages")[0].json["messages"][0]["content"]
    assert blocks == [
        {"type": "text", "text": "what is this"},
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/jpeg", "data": base64.b64encode(photo).decode()},
        },
    ]
    await bot.services.conversations.change_setting(_chat(), "api_format", "responses")
    await ask(tg, "and now?", 3)
    first = ww.requests_to("/v1/responses")[0].json["input"][0]["content"]
    url = "data:image/jpeg;base64," + base64.b64encode(photo).decode()
    assert first[1] == {"type": "input_image", "image_url": url}


async def test_settings_menu_cycles_thinking_format_and_language(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    tg.send_text(ALICE, "/settings", user_id=ALICE)
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 1)
    menu = tg.chat_messages(ALICE)[0]

    def labels() -> str:
        return json.dumps(tg.get_message(ALICE, menu.message_id).reply_markup, ensure_ascii=False)

    for data, expected in (
        ("cfg:thinking", "Thinking: low"),
        ("cfg:thinking", "Thinking: medium"),
        ("cfg:format", "Format: chat completions"),
        ("cfg:tools", "Tools: off"),
        ("cfg:voice", "Spoken replies: on"),
        ("cfg:language", "Language: English"),
        ("cfg:language", "语言：中文"),
    ):
        tg.press_button(ALICE, menu.message_id, data, user_id=ALICE)
        await tg.wait_for(lambda expected=expected: expected in labels())
    settings = await bot.services.conversations.settings(_chat())
    assert (settings.thinking, settings.thinking_level, settings.api_format) == (True, "medium", "chat")
    assert (settings.tools, settings.voice_replies, settings.language) == (False, True, "zh")
    tg.send_text(ALICE, "/new", user_id=ALICE)  # an English Telegram user, Chinese chosen for the chat
    await tg.wait_for(lambda: len(tg.chat_messages(ALICE)) == 2)
    assert "新的对话" in (tg.chat_messages(ALICE)[-1].text or "")


async def test_a_failing_model_list_is_asked_once_and_chat_still_works(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    await make_bot(wenwen_retries=0)
    ww.script_models_error(500, "请求上游地址失败")
    ww.script(Reply(text="one"), Reply(text="two"))
    await ask(tg, "first", 1)
    await ask(tg, "second", 2)
    assert [m.text for m in tg.chat_messages(ALICE)] == ["one", "two"]
    assert len(ww.requests_to("/v1/models")) == 1  # the failure is remembered for a minute
