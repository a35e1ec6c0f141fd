"""bot/wenwen/formats: the three chat formats' stream parsers and request bodies (docs/protocols.md, "Gateway").

The SSE frames below are (event, data) pairs as the gateway sends them; the parsers see them after SSE decoding.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.wenwen.errors import ErrorKind, WenwenStreamError, WenwenTruncatedError
from bot.wenwen.formats import chat, messages, request_for, responses
from bot.wenwen.types import (
    ChatMessage,
    ChatRequest,
    Citation,
    Finish,
    McpServer,
    ReasoningDelta,
    ServerToolActivity,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallRequested,
    ToolSpec,
    UsageReport,
)

Frame = tuple[str, dict[str, Any] | str]


def feed_all(parser: Any, frames: list[Frame]) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    for event, data in frames:
        events.extend(parser.feed(event, data if isinstance(data, str) else json.dumps(data)))
    return events


def run(parser: Any, frames: list[Frame]) -> list[StreamEvent]:
    """Feed every frame, then close: everything the parser yields for one stream."""
    events = feed_all(parser, frames)
    return [*events, *parser.close()]


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def reasoning_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, ReasoningDelta))


def of(events: list[StreamEvent], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


# ================================================================ chat completions (docs/protocols.md)


def _chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> Frame:
    body = {
        "id": "chatcmpl-123",
        "object": "chat.completion.chunk",
        "created": 1694268190,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": finish}],
        "usage": None,
        **extra,
    }
    return ("", body)


CHAT_TEXT: list[Frame] = [
    _chunk({"role": "assistant", "content": ""}),
    _chunk({"content": "Hel"}),
    _chunk({"content": "lo"}),
    _chunk({}, "stop"),
    (
        "",
        {
            "id": "chatcmpl-123",
            "object": "chat.completion.chunk",
            "choices": [],
            "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29},
        },
    ),
    ("", "[DONE]"),
]


def test_chat_text_usage_and_finish() -> None:
    parser = chat.Parser()
    parser.request_id = "rid-1"
    events = run(parser, CHAT_TEXT)
    assert text_of(events) == "Hello"
    assert of(events, UsageReport) == [UsageReport(19, 10)]
    assert events[-1] == Finish("stop", "rid-1")
    assert parser.finished


def test_chat_reasoning_content_and_reasoning_fields() -> None:
    frames = [
        _chunk({"role": "assistant", "reasoning_content": "Let me"}),
        _chunk({"reasoning": " think"}),
        _chunk({"content": "9.8"}),
        _chunk({}, "stop"),
    ]
    events = run(chat.Parser(), frames)
    assert reasoning_of(events) == "Let me think"
    assert text_of(events) == "9.8"
    # reasoning comes before the answer
    kinds = [type(e) for e in events if isinstance(e, TextDelta | ReasoningDelta)]
    assert kinds == [ReasoningDelta, ReasoningDelta, TextDelta]


def test_chat_tool_call_fragments_are_assembled_by_index() -> None:
    frames = [
        _chunk(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_abc",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ],
            }
        ),
        _chunk({"tool_calls": [{"index": 1, "id": "call_def", "function": {"name": "current_time", "arguments": ""}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
        _chunk({"tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}),
        _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
        _chunk({}, "tool_calls"),
        ("", "[DONE]"),
    ]
    events = run(chat.Parser(), frames)
    assert of(events, ToolCallRequested) == [
        ToolCallRequested(ToolCall("call_abc", "get_weather", '{"city":"Paris"}')),
        ToolCallRequested(ToolCall("call_def", "current_time", "{}")),
    ]
    assert events[-1].reason == "tool_calls"
    assert text_of(events) == ""


def test_chat_tool_call_without_id_or_arguments_gets_defaults() -> None:
    frames = [_chunk({"tool_calls": [{"index": 2, "function": {"name": "current_time"}}]}), _chunk({}, "tool_calls")]
    assert of(run(chat.Parser(), frames), ToolCallRequested) == [
        ToolCallRequested(ToolCall("call_2", "current_time", "{}"))
    ]


def test_chat_ignores_done_empty_and_non_json_frames() -> None:
    parser = chat.Parser()
    assert parser.feed("", "[DONE]") == []
    assert parser.feed("", "") == []
    assert parser.feed("", "not json") == []
    assert parser.feed("", "[1, 2]") == []


def test_chat_error_object_mid_stream() -> None:
    parser = chat.Parser()
    feed_all(parser, [_chunk({"content": "Hi"})])
    bad = {"error": {"message": "upstream exploded (request id: 2025abc)", "type": "upstream_error", "code": "boom"}}
    with pytest.raises(WenwenStreamError) as caught:
        parser.feed("", json.dumps(bad))
    assert caught.value.message == "upstream exploded"
    assert caught.value.code == "boom"
    assert caught.value.request_id == "2025abc"


def test_chat_malformed_chunk_is_a_stream_error() -> None:
    with pytest.raises(WenwenStreamError, match="malformed"):
        chat.Parser().feed("", json.dumps({"choices": "nope"}))


def test_chat_done_without_finish_reason_is_truncated() -> None:
    parser = chat.Parser()
    feed_all(parser, [_chunk({"content": "Hel"}), ("", "[DONE]")])
    assert not parser.finished
    with pytest.raises(WenwenTruncatedError) as caught:
        parser.close()
    assert caught.value.kind == ErrorKind.TRUNCATED


# ================================================================ responses (docs/protocols.md)


def _r(kind: str, **fields: Any) -> Frame:
    return (kind, {"type": kind, **fields})


def _completed(output: list[dict[str, Any]] | None = None, kind: str = "response.completed") -> Frame:
    response = {
        "id": "resp_1",
        "object": "response",
        "status": "completed" if kind == "response.completed" else "incomplete",
        "output": output or [],
        "usage": {"input_tokens": 36, "output_tokens": 87, "total_tokens": 123},
    }
    return _r(kind, response=response)


def test_responses_text_reasoning_and_usage() -> None:
    frames = [
        _r("response.created", response={"id": "resp_1", "status": "in_progress"}),
        _r("response.in_progress", response={"id": "resp_1"}),
        _r("response.reasoning_summary_text.delta", item_id="rs_1", delta="Thinking "),
        _r("response.reasoning_text.delta", item_id="rs_1", delta="hard"),
        _r("response.output_item.added", item={"type": "message", "id": "msg_1", "content": []}),
        _r("response.content_part.added", item_id="msg_1", part={"type": "output_text", "text": ""}),
        _r("response.output_text.delta", item_id="msg_1", output_index=0, content_index=0, delta="Hel"),
        _r("response.output_text.delta", item_id="msg_1", output_index=0, content_index=0, delta="lo"),
        _r("response.output_text.delta", item_id="msg_1", delta=""),
        _r("response.output_text.done", item_id="msg_1", text="Hello"),
        _r("response.output_item.done", item={"type": "message", "id": "msg_1"}),
        _completed(),
    ]
    parser = responses.Parser()
    events = run(parser, frames)
    assert reasoning_of(events) == "Thinking hard"
    assert text_of(events) == "Hello"
    assert of(events, TextDelta) == [TextDelta("Hel"), TextDelta("lo")]  # empty deltas are dropped
    assert of(events, UsageReport) == [UsageReport(36, 87)]
    assert events[-1] == Finish("stop", None)
    assert parser.finished


def test_responses_event_name_is_used_when_data_has_no_type() -> None:
    parser = responses.Parser()
    assert parser.feed("response.output_text.delta", json.dumps({"delta": "x"})) == [TextDelta("x")]


def test_responses_function_call_assembled_from_argument_deltas() -> None:
    frames = [
        _r(
            "response.output_item.added",
            output_index=0,
            item={"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather", "arguments": ""},
        ),
        _r("response.function_call_arguments.delta", item_id="fc_1", delta='{"city":'),
        _r("response.function_call_arguments.delta", item_id="fc_unknown", delta="ignored"),
        _r("response.function_call_arguments.delta", item_id="fc_1", delta='"Paris"}'),
        _r("response.function_call_arguments.done", item_id="fc_1", arguments='{"city":"Paris"}'),
        _completed(),
    ]
    events = run(responses.Parser(), frames)
    assert of(events, ToolCallRequested) == [ToolCallRequested(ToolCall("call_1", "get_weather", '{"city":"Paris"}'))]
    assert events[-1].reason == "tool_calls"


def test_responses_function_call_item_done_carries_the_full_arguments() -> None:
    frames = [
        _r("response.output_item.added", item={"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "a"}),
        _r("response.output_item.added", item={"type": "function_call", "id": "fc_2", "call_id": "c2", "name": "b"}),
        _r("response.function_call_arguments.delta", item_id="fc_1", delta='{"par'),
        _r(
            "response.output_item.done",
            item={"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "a", "arguments": '{"x": 1}'},
        ),
        _completed(),
    ]
    events = run(responses.Parser(), frames)
    assert of(events, ToolCallRequested) == [
        ToolCallRequested(ToolCall("c1", "a", '{"x": 1}')),
        ToolCallRequested(ToolCall("c2", "b", "{}")),
    ]


def test_responses_citations_from_annotations_and_completed_are_deduplicated() -> None:
    annotation = {"type": "url_citation", "start_index": 0, "end_index": 5, "url": "https://a.example", "title": "A"}
    message = {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "content": [
            {
                "type": "output_text",
                "text": "…",
                "annotations": [
                    annotation,
                    {"type": "url_citation", "url": "https://b.example", "title": ""},
                    {"type": "file_citation", "file_id": "f1"},
                ],
            }
        ],
    }
    frames = [
        _r("response.output_item.done", item={"type": "web_search_call", "id": "ws_1", "action": {"query": "cats"}}),
        _r("response.output_text.annotation.added", item_id="msg_1", annotation=annotation),
        _r("response.output_text.annotation.added", item_id="msg_1", annotation=annotation),
        _r("response.output_text.delta", delta="Cats."),
        _completed([{"type": "web_search_call", "id": "ws_1", "status": "completed"}, message]),
    ]
    events = run(responses.Parser(), frames)
    assert of(events, Citation) == [
        Citation("https://a.example", "A"),
        Citation("https://b.example", "https://b.example"),
    ]
    assert of(events, ServerToolActivity) == [ServerToolActivity("web_search", "cats")]
    assert events[-1].reason == "stop"


def test_responses_web_search_call_added_is_not_reported_twice() -> None:
    frames = [
        _r("response.output_item.added", item={"type": "web_search_call", "id": "ws_1", "status": "in_progress"}),
        _r("response.web_search_call.searching", item_id="ws_1"),
        _r("response.output_item.done", item={"type": "web_search_call", "id": "ws_1", "status": "completed"}),
        _completed(),
    ]
    assert of(run(responses.Parser(), frames), ServerToolActivity) == [ServerToolActivity("web_search", "")]


def test_responses_incomplete_finishes_with_length() -> None:
    events = run(
        responses.Parser(), [_r("response.output_text.delta", delta="Hi"), _completed(kind="response.incomplete")]
    )
    assert of(events, UsageReport) == [UsageReport(36, 87)]
    assert events[-1].reason == "length"


@pytest.mark.parametrize(
    ("frame", "message", "code"),
    [
        (
            _r("error", code="rate_limit_exceeded", message="Slow down", param=None, sequence_number=3),
            "Slow down",
            "rate_limit_exceeded",
        ),
        (_r("error", error={"type": "server_error", "code": "e1", "message": "Nested"}), "Nested", "e1"),
        (
            _r("response.failed", response={"status": "failed", "error": {"code": "server_error", "message": "Boom"}}),
            "Boom",
            "server_error",
        ),
        (_r("response.failed", response={"status": "failed", "error": None}), "the response failed", None),
    ],
)
def test_responses_errors_raise_with_the_message(frame: Frame, message: str, code: str | None) -> None:
    parser = responses.Parser()
    feed_all(parser, [_r("response.output_text.delta", delta="partial")])
    with pytest.raises(WenwenStreamError) as caught:
        feed_all(parser, [frame])
    assert caught.value.message == message
    assert caught.value.code == code


def test_responses_quota_error_is_classified() -> None:
    with pytest.raises(WenwenStreamError) as caught:
        feed_all(responses.Parser(), [_r("error", code="insufficient_user_quota", message="user quota is not enough")])
    assert caught.value.kind == ErrorKind.QUOTA


def test_responses_without_completed_is_truncated() -> None:
    parser = responses.Parser()
    feed_all(parser, [_r("response.output_text.delta", delta="Hel"), ("", "not json")])
    with pytest.raises(WenwenTruncatedError):
        parser.close()


# ================================================================ messages (docs/protocols.md)


def _m(kind: str, **fields: Any) -> Frame:
    return (kind, {"type": kind, **fields})


MESSAGE_START = _m(
    "message_start",
    message={
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": "claude-x",
        "stop_reason": None,
        "usage": {"input_tokens": 25, "output_tokens": 1},
    },
)


def _spec_stream() -> list[Frame]:
    """A typical Anthropic stream: thinking, text, a tool_use with input_json_delta, stop_reason tool_use."""
    return [
        MESSAGE_START,
        _m("content_block_start", index=0, content_block={"type": "thinking", "thinking": "", "signature": ""}),
        _m("ping"),
        _m("content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": "Let me think…"}),
        _m("content_block_delta", index=0, delta={"type": "signature_delta", "signature": "EqQB…"}),
        _m("content_block_stop", index=0),
        _m("content_block_start", index=1, content_block={"type": "text", "text": ""}),
        _m("content_block_delta", index=1, delta={"type": "text_delta", "text": "Hello"}),
        _m("content_block_stop", index=1),
        _m(
            "content_block_start",
            index=2,
            content_block={"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}},
        ),
        _m("content_block_delta", index=2, delta={"type": "input_json_delta", "partial_json": '{"city": "Par'}),
        _m("content_block_delta", index=2, delta={"type": "input_json_delta", "partial_json": 'is"}'}),
        _m("content_block_stop", index=2),
        _m("message_delta", delta={"stop_reason": "tool_use", "stop_sequence": None}, usage={"output_tokens": 89}),
        _m("message_stop"),
    ]


def test_messages_spec_stream() -> None:
    parser = messages.Parser()
    events = run(parser, _spec_stream())
    assert reasoning_of(events) == "Let me think…"  # the signature is not shown
    assert of(events, ReasoningDelta) == [ReasoningDelta("Let me think…")]
    assert text_of(events) == "Hello"
    assert of(events, UsageReport) == [UsageReport(25, 89)]
    assert of(events, ToolCallRequested) == [
        ToolCallRequested(ToolCall("toolu_01", "get_weather", '{"city": "Paris"}'))
    ]
    assert events[-1] == Finish("tool_calls", None)
    assert parser.finished


def test_messages_text_in_block_start_and_tool_input_without_deltas() -> None:
    frames = [
        MESSAGE_START,
        _m("content_block_start", index=0, content_block={"type": "thinking", "thinking": "pre-filled"}),
        _m("content_block_start", index=1, content_block={"type": "text", "text": "Hi "}),
        _m(
            "content_block_start",
            index=2,
            content_block={"type": "tool_use", "id": "t", "name": "n", "input": {"a": 1}},
        ),
        _m("content_block_stop", index=2),
        _m("message_delta", delta={"stop_reason": "tool_use"}),
        _m("message_stop"),
    ]
    events = run(messages.Parser(), frames)
    assert reasoning_of(events) == "pre-filled"
    assert text_of(events) == "Hi "
    calls = of(events, ToolCallRequested)
    assert [c.call.name for c in calls] == ["n"]
    assert json.loads(calls[0].call.arguments) == {"a": 1}


def test_messages_remote_mcp_blocks_are_server_activity_not_tool_calls() -> None:
    frames = [
        MESSAGE_START,
        _m(
            "content_block_start",
            index=0,
            content_block={
                "type": "mcp_tool_use",
                "id": "mcptoolu_1",
                "name": "search",
                "server_name": "docs",
                "input": {},
            },
        ),
        _m("content_block_delta", index=0, delta={"type": "input_json_delta", "partial_json": '{"q":"x"}'}),
        _m("content_block_stop", index=0),
        _m(
            "content_block_start",
            index=1,
            content_block={
                "type": "mcp_tool_result",
                "tool_use_id": "mcptoolu_1",
                "is_error": False,
                "content": [{"type": "text", "text": "found"}, {"type": "text", "text": "two"}],
            },
        ),
        _m("content_block_stop", index=1),
        _m(
            "content_block_start",
            index=2,
            content_block={
                "type": "mcp_tool_result",
                "is_error": True,
                "content": [{"type": "text", "text": "denied"}],
            },
        ),
        _m("content_block_stop", index=2),
        _m("message_delta", delta={"stop_reason": "end_turn"}, usage={"output_tokens": 5}),
        _m("message_stop"),
    ]
    events = run(messages.Parser(), frames)
    assert of(events, ServerToolActivity) == [
        ServerToolActivity("mcp_call", 'docs.search({"q":"x"})'),
        ServerToolActivity("mcp_result", "found two"),
        ServerToolActivity("mcp_result", "⚠️ denied"),
    ]
    assert of(events, ToolCallRequested) == []
    assert events[-1].reason == "stop"


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [("end_turn", "stop"), ("tool_use", "tool_calls"), ("max_tokens", "length"), ("stop_sequence", "stop_sequence")],
)
def test_messages_stop_reason_mapping(stop_reason: str, finish: str) -> None:
    frames = [MESSAGE_START, _m("message_delta", delta={"stop_reason": stop_reason}), _m("message_stop")]
    assert run(messages.Parser(), frames)[-1].reason == finish


def test_messages_message_stop_alone_means_end_turn() -> None:
    assert run(messages.Parser(), [MESSAGE_START, _m("message_stop")])[-1].reason == "stop"


def test_messages_unknown_events_and_non_json_are_ignored() -> None:
    parser = messages.Parser()
    assert feed_all(parser, [_m("ping"), _m("something_new", x=1), ("message_start", "garbage")]) == []


def test_messages_error_event() -> None:
    parser = messages.Parser()
    feed_all(parser, [MESSAGE_START])
    with pytest.raises(WenwenStreamError) as caught:
        parser.feed(
            "error", json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
        )
    assert caught.value.message == "Overloaded"
    assert caught.value.code == "overloaded_error"


def test_messages_without_stop_is_truncated() -> None:
    parser = messages.Parser()
    frames = _spec_stream()[:9]  # through the text block, no message_delta / message_stop
    feed_all(parser, frames)
    assert not parser.finished
    with pytest.raises(WenwenTruncatedError):
        parser.close()


@pytest.mark.parametrize("make", [chat.Parser, responses.Parser, messages.Parser])
def test_close_of_an_empty_stream_is_truncated_in_every_format(make: Any) -> None:
    with pytest.raises(WenwenTruncatedError):
        make().close()


# ================================================================ request bodies

PNG = "data:image/png;base64,iVBORw0KGgo="
CACHE = {"type": "ephemeral"}
WEATHER = ToolSpec("get_weather", "Weather", {"type": "object", "properties": {"city": {"type": "string"}}})


def _history() -> list[ChatMessage]:
    return [
        ChatMessage("system", "Be brief."),
        ChatMessage("system", "Answer in English."),
        ChatMessage(
            "user",
            [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": PNG}}],
        ),
        ChatMessage("assistant", "Let me check.", tool_calls=(ToolCall("call_1", "get_weather", '{"city":"Paris"}'),)),
        ChatMessage("tool", "Sunny", tool_call_id="call_1"),
        ChatMessage("user", "And tomorrow?"),
    ]


def test_responses_body_items() -> None:
    request = ChatRequest(
        "gpt-4.1",
        _history(),
        max_tokens=2048,
        api_format="responses",
        tools=(WEATHER,),
        reasoning_effort="medium",
        web_search=True,
    )
    wire = responses.body(request)
    assert wire["model"] == "gpt-4.1"
    assert wire["stream"] is True
    assert wire["store"] is False
    assert "previous_response_id" not in wire
    assert wire["instructions"] == "Be brief.\n\nAnswer in English."
    assert wire["max_output_tokens"] == 2048
    assert wire["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert wire["input"] == [
        {
            "role": "user",
            "content": [{"type": "input_text", "text": "What is this?"}, {"type": "input_image", "image_url": PNG}],
        },
        {"role": "assistant", "content": "Let me check."},  # text-only content is a plain string
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city":"Paris"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "Sunny"},
        {"role": "user", "content": "And tomorrow?"},
    ]
    assert wire["tools"] == [
        {"type": "function", "name": "get_weather", "description": "Weather", "parameters": WEATHER.parameters},
        {"type": "web_search_preview"},
    ]


def test_responses_body_minimal() -> None:
    wire = responses.body(ChatRequest("gpt-4.1", [ChatMessage("user", "hi")], api_format="responses"))
    assert wire == {
        "model": "gpt-4.1",
        "input": [{"role": "user", "content": "hi"}],
        "stream": True,
        "store": False,
    }


def test_responses_body_assistant_with_only_tool_calls_has_no_empty_message() -> None:
    history = [ChatMessage("assistant", "", tool_calls=(ToolCall("c", "current_time", "{}"),))]
    assert responses.body(ChatRequest("m", history))["input"] == [
        {"type": "function_call", "call_id": "c", "name": "current_time", "arguments": "{}"}
    ]


def test_messages_body() -> None:
    request = ChatRequest("claude-sonnet-4", _history(), max_tokens=2048, api_format="messages", tools=(WEATHER,))
    wire = messages.body(request)
    # the system prompt is separate and a prompt-cache breakpoint
    assert wire["system"] == [{"type": "text", "text": "Be brief.\n\nAnswer in English.", "cache_control": CACHE}]
    assert wire["max_tokens"] == 2048
    assert wire["stream"] is True
    assert "thinking" not in wire and "mcp_servers" not in wire
    assert wire["tools"] == [{"name": "get_weather", "description": "Weather", "input_schema": WEATHER.parameters}]
    assert wire["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Let me check."},
                {  # the resent history ends here: the cache breakpoint
                    "type": "tool_use",
                    "id": "call_1",
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                    "cache_control": CACHE,
                },
            ],
        },
        {  # the tool result and the next question are one user turn
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "Sunny"},
                {"type": "text", "text": "And tomorrow?"},
            ],
        },
    ]
    roles = [m["role"] for m in wire["messages"]]
    assert all(a != b for a, b in itertools.pairwise(roles))
    assert messages.headers(request) == {"anthropic-version": "2023-06-01"}


def test_messages_body_parallel_tool_results_join_one_user_turn() -> None:
    calls = (ToolCall("t1", "a", "{}"), ToolCall("t2", "b", "not json"))
    history = [
        ChatMessage("user", "go"),
        ChatMessage("assistant", "", tool_calls=calls),
        ChatMessage("tool", "one", tool_call_id="t1"),
        ChatMessage("tool", [{"type": "text", "text": "two"}], tool_call_id="t2"),
    ]
    wire = messages.body(ChatRequest("claude", history))
    assert wire["messages"] == [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "t1", "name": "a", "input": {}},
                # unparsable arguments → {}; the last block before the newest turn is the cache breakpoint
                {"type": "tool_use", "id": "t2", "name": "b", "input": {}, "cache_control": CACHE},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "one"},
                {"type": "tool_result", "tool_use_id": "t2", "content": "two"},
            ],
        },
    ]


def test_messages_body_short_history_has_no_history_cache_mark() -> None:
    history = [ChatMessage("user", "hi"), ChatMessage("assistant", "hello")]
    wire = messages.body(ChatRequest("claude", history))
    assert "system" not in wire
    assert all("cache_control" not in block for m in wire["messages"] for block in m["content"])


def test_messages_body_marks_only_the_turn_before_the_newest_question() -> None:
    history = [
        ChatMessage("user", "q1"),
        ChatMessage("assistant", "a1"),
        ChatMessage("user", "q2"),
        ChatMessage("assistant", "a2"),
        ChatMessage("user", "q3"),
    ]
    wire = messages.body(ChatRequest("claude", history))
    marked = [(m["role"], b["text"]) for m in wire["messages"] for b in m["content"] if "cache_control" in b]
    assert marked == [("assistant", "a2")]
    assert messages.body(ChatRequest("claude", history))["messages"] == wire["messages"]  # input not mutated


def test_messages_body_image_url_and_default_max_tokens() -> None:
    history = [ChatMessage("user", [{"type": "image_url", "image_url": {"url": "https://cdn.example/x.jpg"}}])]
    wire = messages.body(ChatRequest("claude", history))
    assert "system" not in wire
    assert wire["max_tokens"] == messages.DEFAULT_MAX_TOKENS
    assert wire["messages"] == [
        {"role": "user", "content": [{"type": "image", "source": {"type": "url", "url": "https://cdn.example/x.jpg"}}]}
    ]


@pytest.mark.parametrize(
    ("budget", "max_tokens", "sent_budget", "sent_max"),
    [(500, None, 1024, 4096), (2048, 1024, 2048, 3072), (8000, 20000, 8000, 20000), (4096, 4096, 4096, 5120)],
)
def test_messages_thinking_budget(budget: int, max_tokens: int | None, sent_budget: int, sent_max: int) -> None:
    wire = messages.body(
        ChatRequest("claude", [ChatMessage("user", "hi")], max_tokens=max_tokens, thinking_budget=budget)
    )
    assert wire["thinking"] == {"type": "enabled", "budget_tokens": sent_budget}
    assert wire["max_tokens"] == sent_max


@given(budget=st.integers(min_value=1, max_value=200_000), max_tokens=st.one_of(st.none(), st.integers(1, 200_000)))
def test_messages_thinking_budget_is_at_least_1024_and_below_max_tokens(budget: int, max_tokens: int | None) -> None:
    wire = messages.body(
        ChatRequest("claude", [ChatMessage("user", "hi")], max_tokens=max_tokens, thinking_budget=budget)
    )
    assert 1024 <= wire["thinking"]["budget_tokens"] < wire["max_tokens"]
    assert wire["max_tokens"] >= (max_tokens or messages.DEFAULT_MAX_TOKENS)


def test_messages_mcp_servers_and_beta_header_only_with_servers() -> None:
    server = McpServer("docs", "https://mcp.example/sse", authorization_token="mcp-secret-token")
    with_servers = ChatRequest("claude", [ChatMessage("user", "hi")], mcp_servers=(server,))
    assert messages.body(with_servers)["mcp_servers"] == [
        {"type": "url", "url": "https://mcp.example/sse", "name": "docs", "authorization_token": "mcp-secret-token"}
    ]
    assert "mcp-secret-token" not in repr(with_servers)
    assert messages.headers(with_servers) == {
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "mcp-client-2025-04-04",
    }
    without = ChatRequest("claude", [ChatMessage("user", "hi")])
    assert "mcp_servers" not in messages.body(without)
    assert "anthropic-beta" not in messages.headers(without)


@pytest.mark.parametrize(
    ("api_format", "path", "parser"),
    [
        ("chat", "/v1/chat/completions", chat.Parser),
        ("responses", "/v1/responses", responses.Parser),
        ("messages", "/v1/messages", messages.Parser),
    ],
)
def test_request_for_picks_path_body_and_parser(api_format: Any, path: str, parser: type) -> None:
    request = ChatRequest("m", [ChatMessage("user", "hi")], api_format=api_format)
    got_path, body, headers, got_parser = request_for(request)
    assert got_path == path
    assert isinstance(got_parser, parser)
    assert body["stream"] is True
    assert ("anthropic-version" in headers) == (api_format == "messages")
