"""The wenwen fake's three chat formats — /v1/chat/completions, /v1/responses, /v1/messages —
driven by one shared Reply queue, over real loopback HTTP with plain httpx + httpx_sse."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse

from tests.fakes.wenwen import FakeWenwen, Reply

KEY = "sk-test-wenwen-key"
CLAUDE = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
MCP_HEADERS = {**CLAUDE, "anthropic-beta": "mcp-client-2025-04-04"}
RID = re.compile(r" \(request id: \d{17}[A-Za-z0-9]{8}\)$")
WEATHER = {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}


# ----------------------------------------------------------------------- helpers
def chat_body(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": text}], **extra}


def responses_body(text: str = "hi", *, model: str = "gpt-4.1", **extra: Any) -> dict[str, Any]:
    return {"model": model, "stream": True, "input": text, **extra}


def messages_body(text: str = "hi", *, model: str = "claude-sonnet-4-20250514", **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": 4096,
        "stream": True,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


async def events(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> list[tuple[str, Any]]:
    """(event name, decoded data) for every SSE event of a 200 stream."""
    async with aconnect_sse(client, "POST", path, json=body, headers=dict(headers or {})) as source:
        assert source.response.status_code == 200, await source.response.aread()
        assert source.response.headers["content-type"] == "text/event-stream"
        out = []
        async for sse in source.aiter_sse():
            out.append((sse.event, sse.data if sse.data == "[DONE]" else json.loads(sse.data)))
    return out


async def chat_frames(client: httpx.AsyncClient, body: dict[str, Any]) -> list[Any]:
    return [data for _, data in await events(client, "/v1/chat/completions", body)]


def names(evs: list[tuple[str, Any]]) -> list[str]:
    return [name for name, _ in evs]


def of_type(evs: list[tuple[str, Any]], name: str) -> list[dict[str, Any]]:
    return [data for event, data in evs if event == name]


def responses_text(evs: list[tuple[str, Any]]) -> str:
    return "".join(d["delta"] for d in of_type(evs, "response.output_text.delta"))


def claude_deltas(evs: list[tuple[str, Any]], kind: str, field: str) -> str:
    return "".join(d["delta"][field] for d in of_type(evs, "content_block_delta") if d["delta"]["type"] == kind)


def assert_responses_framing(evs: list[tuple[str, Any]]) -> None:
    assert all(name == data["type"] for name, data in evs)
    assert [data["sequence_number"] for _, data in evs] == list(range(len(evs)))
    assert "[DONE]" not in [data for _, data in evs]


# ------------------------------------------------------------ one shared queue
async def test_one_fifo_drives_all_three_formats(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(text="first via chat"), Reply(text="second via responses"), Reply(text="third via messages"))
    frames = await chat_frames(client, chat_body())
    assert "".join(f["choices"][0]["delta"].get("content") or "" for f in frames[:-1]) == "first via chat"
    assert responses_text(await events(client, "/v1/responses", responses_body())) == "second via responses"
    evs = await events(client, "/v1/messages", messages_body(), CLAUDE)
    assert claude_deltas(evs, "text_delta", "text") == "third via messages"
    # an empty queue echoes the last user text in every format
    assert responses_text(await events(client, "/v1/responses", responses_body("ping"))) == "echo: ping"
    evs = await events(client, "/v1/messages", messages_body("pong"), CLAUDE)
    assert claude_deltas(evs, "text_delta", "text") == "echo: pong"


# ------------------------------------------------------------ chat completions
async def test_chat_tool_call_deltas(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    second = {"name": "get_time", "arguments": {"tz": "Europe/Paris"}, "id": "call_fixed"}
    fake.script(Reply(text="", tool_calls=[WEATHER, second]))
    frames = await chat_frames(client, chat_body(stream_options={"include_usage": True}))
    assert frames[-1] == "[DONE]"
    first = frames[0]["choices"][0]["delta"]
    assert first["role"] == "assistant" and first["content"] is None
    header = first["tool_calls"][0]
    assert header["index"] == 0 and header["type"] == "function" and header["id"].startswith("call_")
    assert header["function"] == {"name": "get_weather", "arguments": ""}
    calls: dict[int, dict[str, Any]] = {}
    for frame in frames[:-1]:
        if not frame["choices"]:
            continue
        for fragment in frame["choices"][0]["delta"].get("tool_calls", []):
            call = calls.setdefault(fragment["index"], {"arguments": ""})
            if "id" in fragment:  # only the first fragment of a call names it
                assert set(fragment) == {"index", "id", "type", "function"}
                call["id"], call["name"] = fragment["id"], fragment["function"]["name"]
            else:
                assert set(fragment) == {"index", "function"} and set(fragment["function"]) == {"arguments"}
            call["arguments"] += fragment["function"]["arguments"]
    assert json.loads(calls[0]["arguments"]) == WEATHER["arguments"]
    assert calls[1]["id"] == "call_fixed" and calls[1]["name"] == "get_time"
    assert json.loads(calls[1]["arguments"]) == {"tz": "Europe/Paris"}
    finishes = [f["choices"][0]["finish_reason"] for f in frames[:-1] if f["choices"]]
    assert [r for r in finishes if r] == ["tool_calls"]
    assert frames[-2]["choices"] == [] and frames[-2]["usage"]["completion_tokens"] > 0


async def test_chat_text_then_tool_call_and_non_stream(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(text="Let me check.", tool_calls=[WEATHER]), Reply(text="", tool_calls=[WEATHER]))
    frames = await chat_frames(client, chat_body())
    assert frames[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    kinds = ["tool" if "tool_calls" in f["choices"][0]["delta"] else "text" for f in frames[1:-2]]
    assert kinds == sorted(kinds, key=lambda k: k == "tool") and "tool" in kinds
    resp = await client.post("/v1/chat/completions", json=chat_body(stream=False))
    choice = resp.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == WEATHER["arguments"]


# -------------------------------------------------------------------- responses
async def test_responses_stream_event_order(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(text="Hello from the Responses API", chunks=3))
    evs = await events(client, "/v1/responses", responses_body("say hello", instructions="Be brief."))
    assert names(evs) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert_responses_framing(evs)
    created = evs[0][1]["response"]
    assert created["status"] == "in_progress" and created["object"] == "response" and created["output"] == []
    assert created["id"].startswith("resp_") and created["instructions"] == "Be brief."
    delta = evs[4][1]
    assert delta["output_index"] == 0 and delta["content_index"] == 0 and delta["item_id"].startswith("msg_")
    assert responses_text(evs) == "Hello from the Responses API"
    assert evs[7][1]["text"] == "Hello from the Responses API"
    completed = evs[-1][1]["response"]
    assert completed["status"] == "completed" and completed["id"] == created["id"]
    message = completed["output"][0]
    assert message["type"] == "message" and message["role"] == "assistant" and message["status"] == "completed"
    assert message["content"] == [
        {"type": "output_text", "annotations": [], "logprobs": [], "text": "Hello from the Responses API"}
    ]
    usage = completed["usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] == 7
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


async def test_responses_reasoning_summary(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    reply = Reply(text="9.8 is larger.", reasoning="Compare the tenths digit: 8 > 1.")
    fake.script(reply, reply)
    body = responses_body(model="o4-mini", reasoning={"effort": "low", "summary": "auto"})
    evs = await events(client, "/v1/responses", body)
    assert_responses_framing(evs)
    sequence = names(evs)
    assert sequence[2:5] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
    ]
    assert sequence.index("response.reasoning_summary_text.done") < sequence.index("response.output_text.delta")
    summary = "".join(d["delta"] for d in of_type(evs, "response.reasoning_summary_text.delta"))
    assert summary == "Compare the tenths digit: 8 > 1."
    output = evs[-1][1]["response"]["output"]
    assert [item["type"] for item in output] == ["reasoning", "message"]
    assert output[0]["summary"] == [{"type": "summary_text", "text": summary}]
    assert of_type(evs, "response.output_text.delta")[0]["output_index"] == 1
    assert evs[-1][1]["response"]["usage"]["output_tokens_details"]["reasoning_tokens"] > 0
    # without reasoning.summary OpenAI sends the reasoning item but no summary text
    evs = await events(client, "/v1/responses", responses_body(model="o4-mini", reasoning={"effort": "low"}))
    assert not [n for n in names(evs) if "reasoning_summary" in n]
    assert evs[-1][1]["response"]["output"][0]["summary"] == []


async def test_responses_function_calls_and_follow_up(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(text="", tool_calls=[WEATHER]), Reply(text="It is sunny in Paris."))
    tools = [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}]
    evs = await events(client, "/v1/responses", responses_body("weather?", tools=tools))
    assert_responses_framing(evs)
    assert "response.output_text.delta" not in names(evs)
    added = of_type(evs, "response.output_item.added")[0]["item"]
    assert added["type"] == "function_call" and added["arguments"] == "" and added["status"] == "in_progress"
    arguments = "".join(d["delta"] for d in of_type(evs, "response.function_call_arguments.delta"))
    assert json.loads(arguments) == WEATHER["arguments"]
    assert of_type(evs, "response.function_call_arguments.done")[0]["arguments"] == arguments
    call = evs[-1][1]["response"]["output"][0]
    assert call["type"] == "function_call" and call["name"] == "get_weather" and call["status"] == "completed"
    assert call["call_id"].startswith("call_") and call["id"].startswith("fc_") and call["arguments"] == arguments
    assert names(evs)[-1] == "response.completed"
    # the next turn resends the call and its output as input items
    follow_up = responses_body(
        tools=tools,
        input=[
            {"role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
            {"type": "function_call", "call_id": call["call_id"], "name": "get_weather", "arguments": arguments},
            {"type": "function_call_output", "call_id": call["call_id"], "output": '{"sky":"sunny"}'},
        ],
    )
    assert responses_text(await events(client, "/v1/responses", follow_up)) == "It is sunny in Paris."
    recorded = fake.requests_to("/v1/responses")[-1].json
    assert recorded is not None and recorded["input"][2]["type"] == "function_call_output"


async def test_responses_web_search_citations(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    text = "Python 3.13 is out, see python.org for details."
    citations = [
        {"url": "https://www.python.org/downloads/", "title": "python.org"},
        {"url": "https://docs.python.org/3.13/whatsnew/", "title": "What's New"},
    ]
    fake.script(Reply(text=text, citations=citations), Reply(text=text, citations=citations))
    body = responses_body("latest python?", tools=[{"type": "web_search_preview"}])
    evs = await events(client, "/v1/responses", body)
    assert_responses_framing(evs)
    sequence = names(evs)
    assert sequence[2:7] == [
        "response.output_item.added",
        "response.web_search_call.in_progress",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.output_item.done",
    ]
    annotations = of_type(evs, "response.output_text.annotation.added")
    assert [a["annotation_index"] for a in annotations] == [0, 1]
    assert sequence.index("response.output_text.annotation.added") > sequence.index("response.output_text.delta")
    assert sequence.index("response.output_text.annotation.added") < sequence.index("response.output_text.done")
    first = annotations[0]["annotation"]
    assert first["type"] == "url_citation" and first["url"] == "https://www.python.org/downloads/"
    assert text[first["start_index"] : first["end_index"]] == "python.org"  # the title occurs in the text
    assert (annotations[1]["annotation"]["start_index"], annotations[1]["annotation"]["end_index"]) == (0, len(text))
    output = evs[-1][1]["response"]["output"]
    assert [item["type"] for item in output] == ["web_search_call", "message"]
    assert output[0]["status"] == "completed" and output[0]["id"].startswith("ws_")
    assert output[1]["content"][0]["annotations"] == [a["annotation"] for a in annotations]
    assert of_type(evs, "response.output_text.delta")[0]["output_index"] == 1
    # non-stream: the same output in the response object
    resp = await client.post("/v1/responses", json={**body, "stream": False})
    data = resp.json()
    assert data["object"] == "response" and data["status"] == "completed"
    assert [item["type"] for item in data["output"]] == ["web_search_call", "message"]
    assert data["output"][1]["content"][0]["annotations"][0]["title"] == "python.org"


async def test_responses_cut_error_and_failed(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    error = {"code": "server_error", "message": "upstream overloaded"}
    fake.script(
        Reply(text="aaaabbbbccccdddd", chunks=4, cut=True, cut_after=2),
        Reply(text="partial answer", chunks=2, cut_after=1, mid_stream_error=error),
        Reply(text="partial answer", chunks=2, cut_after=1, mid_stream_error=error, responses_failed=True),
        Reply(text="long answer", finish_reason="length"),
    )
    evs = await events(client, "/v1/responses", responses_body())
    assert responses_text(evs) == "aaaabbbb"
    assert names(evs)[-1] == "response.output_text.delta"  # just stops: no completed
    evs = await events(client, "/v1/responses", responses_body())
    assert_responses_framing(evs)
    assert responses_text(evs) == "partial"
    assert evs[-1] == (
        "error",
        {
            "type": "error",
            "code": "server_error",
            "message": "upstream overloaded",
            "param": None,
            "sequence_number": len(evs) - 1,
        },
    )
    evs = await events(client, "/v1/responses", responses_body())
    name, failed = evs[-1]
    assert name == "response.failed" and "response.completed" not in names(evs)
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"] == {"code": "server_error", "message": "upstream overloaded"}
    evs = await events(client, "/v1/responses", responses_body())
    name, incomplete = evs[-1]
    assert name == "response.incomplete"
    assert incomplete["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


async def test_responses_errors_before_the_stream(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(status=429, error_message="当前分组上游负载已饱和，请稍后再试"))
    resp = await client.post("/v1/responses", json=responses_body())
    assert resp.status_code == 429 and resp.headers["content-type"].startswith("application/json")
    assert RID.search(resp.json()["error"]["message"])
    resp = await client.post("/v1/responses", json={"model": "gpt-4.1"})
    assert resp.status_code == 500
    assert resp.json()["error"]["message"].startswith("input is required (request id: ")
    assert resp.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    ("extra", "param", "fragment"),
    [
        (
            {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]},
            "tools[0].name",
            "Missing required parameter: 'tools[0].name'.",
        ),
        (
            {"input": [{"role": "assistant", "content": [{"type": "input_text", "text": "x"}]}]},
            "input[0].content[0].type",
            "Supported values are: 'output_text' and 'refusal'.",
        ),
        (
            {"input": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]},
            "input[0].content[0].type",
            "Invalid value: 'text'.",
        ),
        (
            {
                "input": [
                    {
                        "role": "user",
                        "content": [{"type": "input_image", "image_url": {"url": "https://example.com/a.png"}}],
                    }
                ]
            },
            "input[0].content[0].image_url",
            "expected a string, but got an object instead.",
        ),
        (
            {"input": [{"type": "function_call_output", "call_id": "call_x", "output": "1"}]},
            "input",
            "No tool call found for function call output with call_id call_x.",
        ),
        ({"reasoning": {"effort": "high"}}, "reasoning.effort", "Unsupported parameter: 'reasoning.effort'"),
    ],
)
async def test_responses_upstream_validation(
    client: httpx.AsyncClient, extra: dict[str, Any], param: str, fragment: str
) -> None:
    resp = await client.post("/v1/responses", json=responses_body(**extra))
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert fragment in error["message"] and RID.search(error["message"])


async def test_responses_ping_comments(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(text="abcdefghijklmnop", ping=True))
    async with client.stream("POST", "/v1/responses", json=responses_body()) as resp:
        lines = [line async for line in resp.aiter_lines()]
    events_count = sum(1 for line in lines if line.startswith("event: "))
    assert lines.count(": PING") == events_count - 1


# --------------------------------------------------------------------- messages
async def test_messages_stream_event_order(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(text="Hello from Claude", chunks=2))
    evs = await events(client, "/v1/messages", messages_body(system="Be brief."), CLAUDE)
    assert names(evs) == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert all(name == data["type"] for name, data in evs)
    message = evs[0][1]["message"]
    assert message["id"].startswith("msg_") and message["role"] == "assistant" and message["content"] == []
    assert message["model"] == "claude-sonnet-4-20250514" and message["stop_reason"] is None
    assert message["usage"]["input_tokens"] > 0 and message["usage"]["output_tokens"] == 1
    assert evs[1][1] == {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    assert claude_deltas(evs, "text_delta", "text") == "Hello from Claude"
    assert evs[5][1] == {"type": "content_block_stop", "index": 0}
    assert evs[6][1]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert evs[6][1]["usage"] == {"output_tokens": 5}
    recorded = fake.requests_to("/v1/messages")[-1]
    assert recorded.headers["x-api-key"] == KEY and recorded.headers["anthropic-version"] == "2023-06-01"
    assert recorded.extra["anthropic_version"] == "2023-06-01"


async def test_messages_auth_and_version_header(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/messages", json=messages_body(stream=False))  # Bearer, no anthropic-version
    assert resp.status_code == 200 and resp.json()["type"] == "message"
    recorded = fake.requests_to("/v1/messages")[-1]
    assert "anthropic-version" not in recorded.headers
    assert recorded.extra["anthropic_version"] == "2023-06-01"  # new-api's default
    async with httpx.AsyncClient(base_url=fake.base_url) as bare:
        resp = await bare.post("/v1/messages", json=messages_body(), headers={"x-api-key": "sk-wrong"})
    assert resp.status_code == 401
    assert set(resp.json()["error"]) == {"message", "type", "code"}  # auth errors stay OpenAI-shaped
    resp = await client.post("/v1/messages", json=messages_body(model="claude-nope"), headers=CLAUDE)
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "model_not_found"


async def test_messages_thinking_block(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    reply = Reply(text="Paris.", reasoning="The capital of France is Paris.", thinking_signature="EqQBsig")
    fake.script(reply, reply, reply)
    body = messages_body(thinking={"type": "enabled", "budget_tokens": 2048})
    evs = await events(client, "/v1/messages", body, CLAUDE)
    assert evs[1][1]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    assert evs[2][0] == "ping"
    deltas = [d["delta"] for d in of_type(evs, "content_block_delta") if d["index"] == 0]
    assert [d["type"] for d in deltas][-1] == "signature_delta" and deltas[-1]["signature"] == "EqQBsig"
    assert {d["type"] for d in deltas[:-1]} == {"thinking_delta"}
    assert claude_deltas(evs, "thinking_delta", "thinking") == "The capital of France is Paris."
    starts = of_type(evs, "content_block_start")
    assert [s["content_block"]["type"] for s in starts] == ["thinking", "text"] and starts[1]["index"] == 1
    assert claude_deltas(evs, "text_delta", "text") == "Paris."
    # thinking not requested: Claude sends no thinking block
    evs = await events(client, "/v1/messages", messages_body(), CLAUDE)
    assert [s["content_block"]["type"] for s in of_type(evs, "content_block_start")] == ["text"]
    # new-api's -thinking suffix adapter; non-stream JSON
    body = messages_body(model="claude-3-7-sonnet-20250219-thinking", stream=False)
    data = (await client.post("/v1/messages", json=body, headers=CLAUDE)).json()
    assert data["model"] == "claude-3-7-sonnet-20250219"
    assert data["content"][0] == {"type": "thinking", "thinking": reply.reasoning, "signature": "EqQBsig"}


async def test_messages_tool_use_and_tool_result(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(text="Let me look.", tool_calls=[WEATHER]), Reply(text="Sunny, 21°C."))
    tools = [{"name": "get_weather", "description": "weather", "input_schema": {"type": "object"}}]
    evs = await events(client, "/v1/messages", messages_body("weather in Paris?", tools=tools), CLAUDE)
    starts = of_type(evs, "content_block_start")
    assert [s["content_block"]["type"] for s in starts] == ["text", "tool_use"]
    tool = starts[1]["content_block"]
    assert tool["input"] == {} and tool["name"] == "get_weather" and tool["id"].startswith("toolu_01")
    pieces = [d["delta"] for d in of_type(evs, "content_block_delta") if d["index"] == 1]
    assert {p["type"] for p in pieces} == {"input_json_delta"} and pieces[0]["partial_json"] == ""
    assert json.loads("".join(p["partial_json"] for p in pieces)) == WEATHER["arguments"]
    assert of_type(evs, "message_delta")[0]["delta"]["stop_reason"] == "tool_use"
    assert names(evs)[-1] == "message_stop"
    follow_up = messages_body(
        tools=tools,
        messages=[
            {"role": "user", "content": "weather in Paris?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me look."},
                    {"type": "tool_use", "id": tool["id"], "name": "get_weather", "input": WEATHER["arguments"]},
                ],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool["id"], "content": "sunny"}]},
        ],
    )
    evs = await events(client, "/v1/messages", follow_up, CLAUDE)
    assert claude_deltas(evs, "text_delta", "text") == "Sunny, 21°C."
    # non-stream tool_use
    fake.script(Reply(text="", tool_calls=[WEATHER]))
    data = (await client.post("/v1/messages", json=messages_body(stream=False, tools=tools), headers=CLAUDE)).json()
    assert data["stop_reason"] == "tool_use"
    assert [b["type"] for b in data["content"]] == ["tool_use"]
    assert data["content"][0]["input"] == WEATHER["arguments"]


async def test_messages_mcp(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    servers = [{"type": "url", "url": "https://mcp.example.com/sse", "name": "12306-mcp"}]
    body = messages_body("fastest train tomorrow?", mcp_servers=servers)
    resp = await client.post("/v1/messages", json=body, headers=CLAUDE)  # no anthropic-beta
    assert resp.status_code == 400
    error = resp.json()
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert error["error"]["message"].startswith("mcp_servers: Extra inputs are not permitted (request id: ")
    call = {"name": "query_trains", "arguments": {"from": "上海", "to": "南昌"}, "result": "G1371 08:15"}
    fake.script(Reply(text="The fastest is G1371.", tool_calls=[call]))
    evs = await events(client, "/v1/messages", body, MCP_HEADERS)
    blocks = [s["content_block"] for s in of_type(evs, "content_block_start")]
    assert [b["type"] for b in blocks] == ["mcp_tool_use", "mcp_tool_result", "text"]
    assert blocks[0]["server_name"] == "12306-mcp" and blocks[0]["name"] == "query_trains"
    assert blocks[1]["tool_use_id"] == blocks[0]["id"] and blocks[0]["id"].startswith("mcptoolu_")
    assert blocks[1]["content"] == [{"type": "text", "text": "G1371 08:15"}] and blocks[1]["is_error"] is False
    assert json.loads(claude_deltas(evs, "input_json_delta", "partial_json")) == call["arguments"]
    assert claude_deltas(evs, "text_delta", "text") == "The fastest is G1371."
    assert of_type(evs, "message_delta")[0]["delta"]["stop_reason"] == "end_turn"
    assert fake.requests_to("/v1/messages")[-1].headers["anthropic-beta"] == "mcp-client-2025-04-04"


async def test_messages_cut_and_mid_stream_error(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(
        Reply(text="aaaabbbbcccc", chunks=3, cut=True, cut_after=1),
        Reply(text="partial answer", chunks=2, cut_after=1, mid_stream_error={}),
        Reply(text="whole", mid_stream_error={"type": "api_error", "message": "Internal server error"}),
    )
    evs = await events(client, "/v1/messages", messages_body(), CLAUDE)
    assert claude_deltas(evs, "text_delta", "text") == "aaaa"
    assert "message_stop" not in names(evs) and "message_delta" not in names(evs)
    evs = await events(client, "/v1/messages", messages_body(), CLAUDE)
    assert claude_deltas(evs, "text_delta", "text") == "partial"
    assert evs[-1] == ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    evs = await events(client, "/v1/messages", messages_body(), CLAUDE)
    assert names(evs)[-2:] == ["content_block_stop", "error"]
    assert evs[-1][1]["error"] == {"type": "api_error", "message": "Internal server error"}


async def test_messages_scripted_error_is_claude_shaped(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(status=529, error_type="overloaded_error", error_message="Overloaded"))
    resp = await client.post("/v1/messages", json=messages_body(), headers=CLAUDE)
    assert resp.status_code == 529
    body = resp.json()
    assert body["type"] == "error" and body["error"]["type"] == "overloaded_error"
    assert body["error"]["message"].startswith("Overloaded (request id: ")
    assert resp.headers["X-Oneapi-Request-Id"] in body["error"]["message"]


async def test_messages_missing_max_tokens(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    body = messages_body()
    del body["max_tokens"]
    resp = await client.post("/v1/messages", json=body, headers=CLAUDE)
    assert resp.status_code == 400
    error = resp.json()
    assert set(error) == {"type", "error"} and error["type"] == "error"
    assert error["error"]["type"] == "invalid_request_error"
    assert error["error"]["message"].startswith("max_tokens: Field required (request id: ")
    assert RID.search(error["error"]["message"])
    fake.messages_default_max_tokens = 8192  # stock new-api fills the default instead
    evs = await events(client, "/v1/messages", body, CLAUDE)
    assert names(evs)[-1] == "message_stop"


@pytest.mark.parametrize(
    ("extra", "status", "error_type", "fragment"),
    [
        ({"messages": []}, 500, "new_api_error", "field messages is required"),
        ({"max_tokens": "many"}, 500, "new_api_error", "ClaudeRequest.max_tokens of type uint"),
        (
            {"messages": [{"role": "system", "content": "x"}]},
            400,
            "invalid_request_error",
            "messages.0.role: Input should be 'user' or 'assistant'",
        ),
        (
            {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]},
            400,
            "invalid_request_error",
            'found multiple "user" roles in a row',
        ),
        (
            {"thinking": {"type": "enabled", "budget_tokens": 512}},
            400,
            "invalid_request_error",
            "budget_tokens: Input should be greater than or equal to 1024",
        ),
        (
            {"max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 2048}},
            400,
            "invalid_request_error",
            "`max_tokens` must be greater than `thinking.budget_tokens`",
        ),
        (
            {"tools": [{"type": "function", "function": {"name": "f"}}]},
            400,
            "invalid_request_error",
            "tools.0: Input tag 'function' found using 'type' does not match",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "image",
                                "source": {"type": "base64", "media_type": "image/bmp", "data": "AAAA"},
                            }
                        ],
                    }
                ]
            },
            400,
            "invalid_request_error",
            "image.source.base64.media_type: Input should be",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x"}]}]},
            400,
            "invalid_request_error",
            "unexpected `tool_use_id` found in `tool_result` blocks: toolu_x",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": "q"},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]},
                    {"role": "user", "content": "no result"},
                ]
            },
            400,
            "invalid_request_error",
            "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1",
        ),
    ],
)
async def test_messages_validation(
    client: httpx.AsyncClient, extra: dict[str, Any], status: int, error_type: str, fragment: str
) -> None:
    resp = await client.post("/v1/messages", json=messages_body(**extra), headers=CLAUDE)
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["type"] == "error" and body["error"]["type"] == error_type
    assert fragment in body["error"]["message"] and RID.search(body["error"]["message"])


async def test_messages_accepts_images_system_blocks_and_thinking(client: httpx.AsyncClient) -> None:
    body = messages_body(
        system=[{"type": "text", "text": "You are helpful."}],
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
                    {"type": "text", "text": "What is this?"},
                ],
            }
        ],
    )
    evs = await events(client, "/v1/messages", body, CLAUDE)
    assert claude_deltas(evs, "text_delta", "text") == "echo: What is this?"


async def test_messages_hold_and_disconnect(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    hold = asyncio.Event()
    fake.script(Reply(text="first second third", chunks=3, hold=hold))
    async with client.stream("POST", "/v1/messages", json=messages_body(), headers=CLAUDE) as resp:
        async for line in resp.aiter_lines():
            if line.startswith("data: ") and '"text_delta"' in line:
                break
        assert fake.streams_open == 1
    await fake.wait_for(lambda: fake.disconnects == 1 and fake.streams_open == 0)
    hold.set()
