"""The wenwen fake itself, driven over real loopback HTTP with plain httpx."""

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
AUTH = {"Authorization": f"Bearer {KEY}"}
RID = re.compile(r"^\d{17}[A-Za-z0-9]{8}$")


def chat_body(text: str = "hi", *, stream: bool = True, usage: bool = False, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}
    if stream:
        body["stream"] = True
    if usage:
        body["stream_options"] = {"include_usage": True}
    body.update(extra)
    return body


async def read_lines(client: httpx.AsyncClient, body: dict[str, Any]) -> tuple[httpx.Response, list[str]]:
    async with client.stream("POST", "/v1/chat/completions", json=body) as resp:
        lines = [line async for line in resp.aiter_lines()]
    return resp, lines


def data_frames(lines: list[str]) -> list[Any]:
    """The data: payloads, JSON-decoded except the final [DONE]."""
    out: list[Any] = []
    for line in lines:
        if line.startswith("data: "):
            payload = line[len("data: ") :]
            out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


def content_of(frames: list[Any]) -> str:
    return "".join(
        f["choices"][0]["delta"].get("content", "") for f in frames if isinstance(f, dict) and f.get("choices")
    )


def finish_reasons(frames: list[Any]) -> list[str]:
    return [
        f["choices"][0]["finish_reason"]
        for f in frames
        if isinstance(f, dict) and f.get("choices") and f["choices"][0]["finish_reason"]
    ]


def assert_request_id(resp: httpx.Response, message: str) -> None:
    rid = resp.headers["X-Oneapi-Request-Id"]
    assert RID.match(rid), rid
    assert message.endswith(f" (request id: {rid})")


# ------------------------------------------------------------------------ auth
async def test_missing_key_is_openai_shaped_401(fake: FakeWenwen) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as c:
        resp = await c.post("/v1/chat/completions", json=chat_body())
    assert resp.status_code == 401
    body = resp.json()
    assert set(body["error"]) == {"message", "type", "code"}
    assert body["error"]["message"].startswith("未提供令牌 (request id: ")
    assert body["error"]["type"] == "new_api_error"
    assert body["error"]["code"] == ""
    assert_request_id(resp, body["error"]["message"])
    assert fake.requests_to("/v1/chat/completions")[0].json == chat_body()


async def test_wrong_key_is_401_invalid_token(fake: FakeWenwen) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as c:
        resp = await c.get("/v1/models", headers={"Authorization": "Bearer sk-nope"})
    assert resp.status_code == 401
    message = resp.json()["error"]["message"]
    assert message.startswith("无效的令牌 (request id: ")
    assert_request_id(resp, message)


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/v1/models", {"Authorization": KEY}, 200),  # no "Bearer "
        ("/v1/models", {"Authorization": "Bearer test-wenwen-key"}, 200),  # no "sk-"
        ("/v1/models", {"x-api-key": KEY}, 200),
        ("/v1/models", {"Authorization": "Bearer midjourney-proxy", "mj-api-secret": KEY}, 200),
        ("/v1/models", {"mj-api-secret": KEY}, 200),
        ("/v1/chat/completions", {"x-api-key": KEY}, 401),  # x-api-key only on /v1/messages and /v1/models
    ],
)
async def test_auth_variants(fake: FakeWenwen, path: str, headers: dict[str, str], status: int) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as c:
        if path == "/v1/models":
            resp = await c.get(path, headers=headers)
        else:
            resp = await c.post(path, headers=headers, json=chat_body(stream=False))
    assert resp.status_code == status, resp.text


async def test_every_response_has_a_fresh_request_id(client: httpx.AsyncClient) -> None:
    first = await client.get("/v1/models")
    second = await client.post("/v1/chat/completions", json=chat_body(stream=False))
    ids = {first.headers["X-Oneapi-Request-Id"], second.headers["X-Oneapi-Request-Id"]}
    assert len(ids) == 2 and all(RID.match(i) for i in ids)


# ---------------------------------------------------------------------- models
async def test_models_list(client: httpx.AsyncClient) -> None:
    resp = await client.get("/v1/models")
    body = resp.json()
    assert body["success"] is True and body["object"] == "list"
    by_id = {m["id"]: m for m in body["data"]}
    assert {"gpt-4o-mini", "gpt-4o", "deepseek-reasoner", "mj_imagine", "whisper-1", "dall-e-3"} <= set(by_id)
    claude = by_id["claude-3-5-sonnet-20241022"]
    assert claude["supported_endpoint_types"] == ["anthropic", "openai"]
    assert set(claude) == {"id", "object", "created", "owned_by", "supported_endpoint_types"}


async def test_models_anthropic_style(fake: FakeWenwen) -> None:
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    async with httpx.AsyncClient(base_url=fake.base_url) as c:
        body = (await c.get("/v1/models", headers=headers)).json()
    assert body["has_more"] is False
    assert body["data"][0]["type"] == "model"
    assert body["first_id"] == body["data"][0]["id"]


async def test_scripted_models_error_is_one_shot(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script_models_error(500, "获取模型列表失败")
    resp = await client.get("/v1/models")
    assert resp.status_code == 500
    assert resp.json()["error"]["message"].startswith("获取模型列表失败 (request id: ")
    assert (await client.get("/v1/models")).status_code == 200


async def test_custom_model_list(fake: FakeWenwen) -> None:
    server = FakeWenwen(models=[{"id": "only-model"}])
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base_url, headers=AUTH) as c:
            data = (await c.get("/v1/models")).json()["data"]
            assert [m["id"] for m in data] == ["only-model"]
            resp = await c.post("/v1/chat/completions", json=chat_body(stream=False))
        assert resp.status_code == 503
        assert resp.json()["error"]["message"].startswith("当前分组 default 下对于模型 gpt-4o-mini 无可用渠道")
        assert resp.json()["error"]["code"] == "model_not_found"
    finally:
        await server.stop()


# ---------------------------------------------------------------------- stream
async def test_stream_frames_and_done(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(text="Hello there, friend!", chunks=3))
    resp, lines = await read_lines(client, chat_body())
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/event-stream"
    assert resp.headers["cache-control"] == "no-cache"
    assert resp.headers["x-accel-buffering"] == "no"
    assert all(line.startswith("data: ") for line in lines if line)
    frames = data_frames(lines)
    assert frames[-1] == "[DONE]"
    first = frames[0]
    assert first["object"] == "chat.completion.chunk"
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    content_frames = [f for f in frames[1:-2]]
    assert [f["choices"][0]["delta"]["content"] for f in content_frames] == ["Hello t", "here, f", "riend!"]
    assert frames[-2]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert len({f["id"] for f in frames[:-1]}) == 1
    assert all(f["model"] == "gpt-4o-mini" for f in frames[:-1])


async def test_include_usage_chunk(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(text="abcdefgh" * 4))
    _, lines = await read_lines(client, chat_body("x" * 40, usage=True))
    frames = data_frames(lines)
    usage_chunk = frames[-2]
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"] == {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18}
    assert finish_reasons(frames) == ["stop"]
    # without include_usage there is no usage-only chunk
    _, lines = await read_lines(client, chat_body())
    assert all(f == "[DONE]" or f["choices"] for f in data_frames(lines))


async def test_reasoning_comes_before_content(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(
        Reply(text="9.8", reasoning="Let me compare the numbers."),
        Reply(text="ok", reasoning="hmm", reasoning_field="reasoning"),
    )
    frames = data_frames((await read_lines(client, chat_body()))[1])
    deltas = [f["choices"][0]["delta"] for f in frames[1:-2]]
    kinds = ["reasoning_content" if "reasoning_content" in d else "content" for d in deltas]
    assert kinds == sorted(kinds, key=lambda k: k != "reasoning_content")
    assert "".join(d.get("reasoning_content", "") for d in deltas) == "Let me compare the numbers."
    assert content_of(frames) == "9.8"
    frames = data_frames((await read_lines(client, chat_body()))[1])
    assert frames[1]["choices"][0]["delta"] == {"reasoning": "hmm"}


async def test_cut_stream_has_no_finish_reason(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(text="aaaabbbbccccdddd", chunks=4, cut=True, cut_after=2))
    _, lines = await read_lines(client, chat_body(usage=True))
    frames = data_frames(lines)
    assert frames[-1] == "[DONE]"
    assert finish_reasons(frames) == []
    assert content_of(frames) == "aaaabbbb"
    assert all(f == "[DONE]" or f["choices"] for f in frames)  # no usage chunk either


async def test_mid_stream_error_frame(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    error = {"message": "upstream overloaded", "type": "upstream_error", "code": "bad_response_status_code"}
    fake.script(Reply(text="partial answer", chunks=2, mid_stream_error=error, cut_after=1))
    async with aconnect_sse(client, "POST", "/v1/chat/completions", json=chat_body()) as source:
        events = [sse.data async for sse in source.aiter_sse()]
    assert events[-1] == "[DONE]"
    assert json.loads(events[-2]) == {"error": error}
    frames = [json.loads(e) for e in events[:-2]]
    assert content_of(frames) == "partial"
    assert finish_reasons(frames) == []


async def test_ping_comments(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(text="abcdefghijklmnop", ping=True))
    _, lines = await read_lines(client, chat_body())
    assert lines.count(": PING") == len(data_frames(lines)) - 1
    assert content_of(data_frames(lines)) == "abcdefghijklmnop"


async def test_hold_then_client_disconnect_is_counted(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    hold = asyncio.Event()
    fake.script(Reply(text="first second third", chunks=3, hold=hold))
    async with client.stream("POST", "/v1/chat/completions", json=chat_body("stop me")) as resp:
        seen = ""
        async for line in resp.aiter_lines():
            if line.startswith("data: {"):
                seen += json.loads(line[6:])["choices"][0]["delta"].get("content", "")
            if seen:
                break
        assert seen == "first "
        assert fake.streams_open == 1
        # recorded before the stream finished
        assert fake.requests_to("/v1/chat/completions")[-1].json == chat_body("stop me")
    await fake.wait_for(lambda: fake.disconnects == 1 and fake.streams_open == 0)
    hold.set()


async def test_hold_released_finishes_stream(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    hold = asyncio.Event()
    fake.script(Reply(text="abcdefgh12345678", hold=hold))
    task = asyncio.create_task(read_lines(client, chat_body()))
    await fake.wait_for(lambda: fake.streams_open == 1)
    assert not task.done()
    hold.set()
    _, lines = await task
    assert content_of(data_frames(lines)) == "abcdefgh12345678"
    assert fake.disconnects == 0 and fake.streams_open == 0


async def test_default_reply_echoes_last_user_text(client: httpx.AsyncClient) -> None:
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "older"},
            {"role": "assistant", "content": "ok"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this photo?"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}},
                ],
            },
        ],
    }
    resp = await client.post("/v1/chat/completions", json=body)
    answer = resp.json()
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"]["content"] == "echo: What is in this photo?"
    assert answer["choices"][0]["finish_reason"] == "stop"
    assert answer["usage"]["total_tokens"] == answer["usage"]["prompt_tokens"] + answer["usage"]["completion_tokens"]
    _, lines = await read_lines(client, chat_body("streamed"))
    assert content_of(data_frames(lines)) == "echo: streamed"


# ---------------------------------------------------------------------- errors
async def test_scripted_429_json_body(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(status=429, error_message="当前分组上游负载已饱和，请稍后再试"))
    resp = await client.post("/v1/chat/completions", json=chat_body())
    assert resp.status_code == 429
    assert resp.headers["content-type"].startswith("application/json")
    error = resp.json()["error"]
    assert error["message"].startswith("当前分组上游负载已饱和，请稍后再试 (request id: ")
    assert error["type"] == "new_api_error" and error["param"] == "" and error["code"] is None
    assert_request_id(resp, error["message"])
    # the next request gets the default echo again
    resp = await client.post("/v1/chat/completions", json=chat_body(stream=False))
    assert resp.json()["choices"][0]["message"]["content"] == "echo: hi"


async def test_scripted_quota_error_and_plain_body(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(
        Reply(status=403, error_message="user quota is not enough", error_code="insufficient_user_quota"),
        Reply(status=502, plain_body="<html><body>502 Bad Gateway</body></html>"),
    )
    resp = await client.post("/v1/chat/completions", json=chat_body())
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "insufficient_user_quota"
    resp = await client.post("/v1/chat/completions", json=chat_body())
    assert resp.status_code == 502
    assert resp.headers["content-type"].startswith("text/html")
    assert "502 Bad Gateway" in resp.text


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, 400, "未指定模型名称"),
        ({"model": 5, "messages": []}, 400, "Invalid request, "),
        ({"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}, 503, "无可用渠道"),
        ({"model": "gpt-4o-mini", "messages": []}, 500, "field messages is required"),
        ({"model": "gpt-4o-mini", "messages": [{"role": "bot", "content": "x"}]}, 400, "Invalid value: 'bot'"),
        (
            {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [{"type": "text"}]}]},
            400,
            "Missing required parameter: 'messages[0].content[0].text'",
        ),
    ],
)
async def test_request_validation(client: httpx.AsyncClient, body: dict[str, Any], status: int, fragment: str) -> None:
    resp = await client.post("/v1/chat/completions", json=body)
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert fragment in error["message"]
    assert_request_id(resp, error["message"])


async def test_non_json_body_is_invalid_request(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/chat/completions", content=b"not json", headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["error"]["message"].startswith("Invalid request, ")


async def test_unknown_path_and_not_implemented(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/xyz", json={})
    assert resp.status_code == 404
    assert resp.json() == {
        "error": {"message": "Invalid URL (POST /v1/xyz)", "type": "invalid_request_error", "param": "", "code": ""}
    }
    resp = await client.post("/v1/images/variations", json={})
    assert resp.status_code == 501 and resp.json()["error"]["code"] == "api_not_implemented"


async def test_body_over_32_mb_is_413(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/chat/completions", content=b"x" * ((32 << 20) + 1))
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "read_request_body_failed"


# ------------------------------------------------------------------- recording
async def test_recording_and_wait_for(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    await client.post("/v1/chat/completions", json=chat_body(stream=False), headers={"X-Custom": "1"})
    recorded = fake.requests_to("/v1/chat/completions")[0]
    assert recorded.method == "POST"
    assert recorded.headers["authorization"] == f"Bearer {KEY}"
    assert recorded.headers["X-CUSTOM"] == "1"
    assert json.loads(recorded.body) == recorded.json
    await fake.wait_for(lambda: len(fake.requests) == 1)
    with pytest.raises(TimeoutError):
        await fake.wait_for(lambda: len(fake.requests) == 2, timeout=0.05)


async def test_channel_pin_suffix_is_403_for_plain_keys() -> None:
    async with FakeWenwen(api_key="sk-abc123") as server, httpx.AsyncClient(base_url=server.base_url) as c:
        ok = await c.get("/v1/models", headers={"Authorization": "Bearer sk-abc123"})
        pinned = await c.get("/v1/models", headers={"Authorization": "Bearer sk-abc123-7"})
    assert ok.status_code == 200
    assert pinned.status_code == 403
    assert pinned.json()["error"]["message"].startswith("普通用户不支持指定渠道 (request id: ")


async def test_delays_are_scripted(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script(Reply(text="abc", chunks=3, delay=0.05, first_delay=0.05))
    loop = asyncio.get_running_loop()
    started = loop.time()
    _, lines = await read_lines(client, chat_body())
    assert loop.time() - started >= 0.15
    assert content_of(data_frames(lines)) == "abc"


async def test_stop_releases_a_held_stream_without_counting_a_disconnect() -> None:
    server = FakeWenwen()
    await server.start()
    hold = asyncio.Event()  # never set
    server.script(Reply(text="abcdefgh", hold=hold))
    async with httpx.AsyncClient(base_url=server.base_url, headers=AUTH) as c:
        task = asyncio.create_task(read_lines(c, chat_body()))
        await server.wait_for(lambda: server.streams_open == 1)
        await server.stop()
        _, lines = await task
    assert content_of(data_frames(lines)) == "abcdefgh"
    assert not any("[DONE]" in line for line in lines)
    assert server.disconnects == 0 and server.streams_open == 0
