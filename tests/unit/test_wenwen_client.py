"""bot/wenwen: the gateway client over real HTTP against FakeWenwen, and the error envelopes."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from bot.wenwen import (
    ChatMessage,
    ChatRequest,
    ErrorKind,
    Finish,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    UsageReport,
    WenwenClient,
    WenwenError,
    WenwenNetworkError,
    WenwenStreamError,
    WenwenTruncatedError,
)
from bot.wenwen.errors import error_from_response
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import API_KEY

REQUEST = ChatRequest("gpt-4o-mini", [ChatMessage("user", "hello")])


@pytest.fixture
def sleeps() -> list[float]:
    """Backoff waits the client asks for, recorded instead of slept (see `client`)."""
    return []


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., WenwenClient]]:
    made: list[WenwenClient] = []

    def factory(base_url: str, api_key: str = API_KEY, **kwargs: object) -> WenwenClient:
        client = WenwenClient(base_url, api_key, **kwargs)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()


@pytest.fixture
def client(ww: FakeWenwen, make_client: Callable[..., WenwenClient], sleeps: list[float]) -> WenwenClient:
    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return make_client(ww.base_url, retries=2, connect_timeout=2.0, read_timeout=10.0, sleep=record_sleep)


async def collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


def chat_requests(ww: FakeWenwen) -> list[object]:
    return ww.requests_to("/v1/chat/completions")


# ---------------------------------------------------------------------------------- streaming


async def test_stream_yields_text_usage_finish_in_order(ww: FakeWenwen, client: WenwenClient) -> None:
    usage = {"prompt_tokens": 11, "completion_tokens": 22, "total_tokens": 33}
    ww.script(Reply(text="Hello there, this is a streamed answer.", chunks=5, usage=usage))
    events = await collect(client.chat_stream(REQUEST))
    assert [type(e) for e in events] == [TextDelta] * 5 + [UsageReport, Finish]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello there, this is a streamed answer."
    assert events[-2] == UsageReport(11, 22)
    finish = events[-1]
    assert isinstance(finish, Finish) and finish.reason == "stop"
    assert finish.request_id == chat_requests(ww)[0].request_id


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_stream_reasoning_comes_first(ww: FakeWenwen, client: WenwenClient, field: str) -> None:
    ww.script(Reply(text="9.8 is larger.", reasoning="Compare 9.8 and 9.11 digit by digit.", reasoning_field=field))
    events = await collect(client.chat_stream(REQUEST))
    kinds = [type(e) for e in events]
    first_text = kinds.index(TextDelta)
    assert set(kinds[:first_text]) == {ReasoningDelta}
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == "Compare 9.8 and 9.11 digit by digit."
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "9.8 is larger."
    assert kinds[-2:] == [UsageReport, Finish]


async def test_stream_finish_reason_is_passed_on(ww: FakeWenwen, client: WenwenClient) -> None:
    ww.script(Reply(text="cut by max_tokens", finish_reason="length"))
    events = await collect(client.chat_stream(REQUEST))
    assert isinstance(events[-1], Finish) and events[-1].reason == "length"


async def test_ping_comments_are_ignored(ww: FakeWenwen, client: WenwenClient) -> None:
    ww.script(Reply(text="pinged answer text", chunks=4, ping=True))
    events = await collect(client.chat_stream(REQUEST))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "pinged answer text"
    assert [type(e) for e in events][-2:] == [UsageReport, Finish]


async def test_stream_without_finish_reason_is_truncated(ww: FakeWenwen, client: WenwenClient) -> None:
    ww.script(Reply(text="this answer will be cut off", chunks=6, cut=True, cut_after=3))
    received: list[StreamEvent] = []
    with pytest.raises(WenwenTruncatedError) as caught:
        async for event in client.chat_stream(REQUEST):
            received.append(event)
    texts = [e.text for e in received if isinstance(e, TextDelta)]
    assert len(texts) == 3
    assert "this answer will be cut off".startswith("".join(texts))
    assert not any(isinstance(e, Finish) for e in received)
    assert caught.value.kind == ErrorKind.TRUNCATED
    assert caught.value.request_id == chat_requests(ww)[0].request_id
    assert len(chat_requests(ww)) == 1, "a stream that already delivered text must never be retried"


async def test_mid_stream_error_object_raises_with_its_message(ww: FakeWenwen, client: WenwenClient) -> None:
    error = {"message": "upstream exploded (request id: 2025X)", "type": "upstream_error", "code": "bad_response"}
    ww.script(Reply(text="partial answer before the error", chunks=4, cut_after=2, mid_stream_error=error))
    received: list[StreamEvent] = []
    with pytest.raises(WenwenStreamError) as caught:
        async for event in client.chat_stream(REQUEST):
            received.append(event)
    assert len([e for e in received if isinstance(e, TextDelta)]) == 2
    assert caught.value.message == "upstream exploded"
    assert caught.value.code == "bad_response"
    assert caught.value.request_id == chat_requests(ww)[0].request_id
    assert len(chat_requests(ww)) == 1


async def test_client_sends_bearer_key_and_include_usage(ww: FakeWenwen, client: WenwenClient) -> None:
    ww.script(Reply(text="ok"))
    await collect(client.chat_stream(ChatRequest("gpt-4o", [ChatMessage("user", "你好 😀")], max_tokens=64)))
    (request,) = chat_requests(ww)
    assert request.headers.get("authorization") == f"Bearer {API_KEY}"
    assert request.json is not None
    assert request.json["stream"] is True
    assert request.json["stream_options"] == {"include_usage": True}
    assert request.json["model"] == "gpt-4o"
    assert request.json["max_tokens"] == 64
    assert request.json["messages"] == [{"role": "user", "content": "你好 😀"}]


async def test_non_streaming_chat(ww: FakeWenwen, client: WenwenClient) -> None:
    ww.script(Reply(text="whole answer", reasoning="thinking"))
    completion = await client.chat(REQUEST)
    assert completion.choices[0].message.content == "whole answer"
    assert completion.choices[0].message.reasoning_content == "thinking"
    (request,) = chat_requests(ww)
    assert request.json is not None and request.json["stream"] is False
    assert "stream_options" not in request.json


# ---------------------------------------------------------------------------------- retries


async def test_500_then_success_is_retried_once(ww: FakeWenwen, client: WenwenClient, sleeps: list[float]) -> None:
    ww.script(Reply(status=500), Reply(text="second time lucky"))
    events = await collect(client.chat_stream(REQUEST))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "second time lucky"
    assert len(chat_requests(ww)) == 2
    assert len(sleeps) == 1 and sleeps[0] > 0


async def test_429_three_times_raises_after_three_requests(
    ww: FakeWenwen, client: WenwenClient, sleeps: list[float]
) -> None:
    ww.script(Reply(status=429), Reply(status=429), Reply(status=429), Reply(text="never reached"))
    with pytest.raises(WenwenError) as caught:
        await collect(client.chat_stream(REQUEST))
    assert caught.value.kind == ErrorKind.RATE_LIMITED
    assert caught.value.status == 429
    assert len(chat_requests(ww)) == 3
    assert len(sleeps) == 2


async def test_default_retry_budget_reports_within_about_ten_seconds(
    ww: FakeWenwen, make_client: Callable[..., WenwenClient], sleeps: list[float]
) -> None:
    client = make_client(ww.base_url)  # default retries
    ww.script(*[Reply(status=502, plain_body="Bad Gateway")] * 10)
    with pytest.raises(WenwenError):
        await collect(client.chat_stream(REQUEST))
    assert 2 <= len(chat_requests(ww)) <= 4
    assert sum(sleeps) <= 8.0, sleeps


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        (
            Reply(status=400, error_message="messages is empty", error_type="invalid_request_error"),
            ErrorKind.BAD_REQUEST,
        ),
        (Reply(status=401, error_message="无效的令牌"), ErrorKind.INVALID_KEY),
        (
            Reply(status=403, error_message="user quota is not enough", error_code="insufficient_user_quota"),
            ErrorKind.QUOTA,
        ),
        (
            Reply(
                status=503,
                error_message="当前分组 default 下对于模型 gpt-4o-mini 无可用渠道",
                error_code="model_not_found",
            ),
            ErrorKind.MODEL_UNAVAILABLE,
        ),
    ],
)
async def test_client_errors_are_never_retried(
    ww: FakeWenwen, client: WenwenClient, sleeps: list[float], reply: Reply, kind: ErrorKind
) -> None:
    ww.script(reply, Reply(text="must not be reached"))
    with pytest.raises(WenwenError) as caught:
        await collect(client.chat_stream(REQUEST))
    assert caught.value.kind == kind
    assert caught.value.status == reply.status
    assert caught.value.message == reply.error_message
    assert caught.value.request_id == chat_requests(ww)[0].request_id
    assert len(chat_requests(ww)) == 1
    assert sleeps == []


async def test_wrong_key_is_401_and_not_retried(
    ww: FakeWenwen, make_client: Callable[..., WenwenClient], sleeps: list[float]
) -> None:
    client = make_client(ww.base_url, api_key="sk-wrong")
    with pytest.raises(WenwenError) as caught:
        await collect(client.chat_stream(REQUEST))
    assert caught.value.kind == ErrorKind.INVALID_KEY
    assert caught.value.status == 401
    assert caught.value.message == "无效的令牌"
    assert "sk-wrong" not in str(caught.value)
    assert len(ww.requests) == 1
    assert sleeps == []


def _closed_port() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


async def test_connect_error_is_a_network_error_quickly(make_client: Callable[..., WenwenClient]) -> None:
    client = make_client(f"http://127.0.0.1:{_closed_port()}", retries=0, connect_timeout=5.0)
    started = time.monotonic()
    with pytest.raises(WenwenNetworkError) as caught:
        await collect(client.chat_stream(REQUEST))
    assert time.monotonic() - started < 2.0
    assert caught.value.kind == ErrorKind.NETWORK
    assert caught.value.retryable
    assert API_KEY not in str(caught.value)


async def test_connect_errors_are_retried_then_raised(
    make_client: Callable[..., WenwenClient], sleeps: list[float]
) -> None:
    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = make_client(f"http://127.0.0.1:{_closed_port()}", retries=2, sleep=record_sleep)
    with pytest.raises(WenwenNetworkError):
        await client.list_models()
    assert len(sleeps) == 2


# ---------------------------------------------------------------------------------- models


async def test_list_models_parses_the_list(ww: FakeWenwen, client: WenwenClient) -> None:
    models = await client.list_models()
    assert {m.id for m in models} == ww.model_ids()
    by_id = {m.id: m for m in models}
    assert by_id["gpt-4o-mini"].owned_by == "openai"
    assert by_id["dall-e-3"].supported_endpoint_types == ["image-generation"]
    (request,) = ww.requests_to("/v1/models")
    assert request.headers.get("authorization") == f"Bearer {API_KEY}"


async def test_list_models_retries_a_5xx(ww: FakeWenwen, client: WenwenClient, sleeps: list[float]) -> None:
    ww.script_models_error(500, "请求上游地址失败")
    models = await client.list_models()
    assert models
    assert len(ww.requests_to("/v1/models")) == 2


# ---------------------------------------------------------------------------------- raw HTTP edge cases


async def raw_server(respond: Callable[[asyncio.StreamWriter], Awaitable[None]]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await respond(writer)
        writer.transport.abort()  # no clean end of the chunked body

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def _chunked(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _frame(obj: object) -> bytes:
    return _chunked(f"data: {json.dumps(obj)}\n\n".encode())


SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
    b"X-Oneapi-Request-Id: RAW123\r\n\r\n"
)


async def test_connection_broken_mid_answer_is_truncated(
    make_client: Callable[..., WenwenClient], sleeps: list[float]
) -> None:
    async def respond(writer: asyncio.StreamWriter) -> None:
        writer.write(SSE_HEAD + _frame({"choices": [{"index": 0, "delta": {"content": "half an ans"}}]}))
        await writer.drain()

    server = await raw_server(respond)
    port = server.sockets[0].getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}", retries=2)
    received: list[StreamEvent] = []
    try:
        with pytest.raises(WenwenTruncatedError) as caught:
            async for event in client.chat_stream(REQUEST):
                received.append(event)
    finally:
        server.close()
    assert received == [TextDelta("half an ans")]
    assert caught.value.request_id == "RAW123"
    assert sleeps == []


async def test_connection_broken_after_finish_reason_still_finishes(
    make_client: Callable[..., WenwenClient], sleeps: list[float]
) -> None:
    async def respond(writer: asyncio.StreamWriter) -> None:
        writer.write(
            SSE_HEAD
            + _frame({"choices": [{"index": 0, "delta": {"content": "complete"}}]})
            + _frame({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        )
        await writer.drain()

    server = await raw_server(respond)
    port = server.sockets[0].getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}")
    try:
        events = await collect(client.chat_stream(REQUEST))
    finally:
        server.close()
    assert events == [TextDelta("complete"), Finish("stop", "RAW123")]


async def test_whole_json_answer_to_a_stream_request(
    make_client: Callable[..., WenwenClient], sleeps: list[float]
) -> None:
    body = json.dumps(
        {
            "choices": [{"message": {"role": "assistant", "content": "not streamed"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }
    ).encode()

    async def respond(writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        await writer.drain()

    server = await raw_server(respond)
    port = server.sockets[0].getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}")
    try:
        events = await collect(client.chat_stream(REQUEST))
    finally:
        server.close()
    assert events == [TextDelta("not streamed"), UsageReport(3, 2), Finish("stop", None)]


async def test_closing_the_stream_closes_the_upstream_request(ww: FakeWenwen, client: WenwenClient) -> None:
    hold = asyncio.Event()
    ww.script(Reply(text="a long answer nobody will read", chunks=6, hold=hold))
    stream = client.chat_stream(REQUEST)
    first = await anext(stream)
    assert isinstance(first, TextDelta)
    await stream.aclose()  # what /stop does
    await ww.wait_for(lambda: ww.disconnects == 1 and ww.streams_open == 0, timeout=5)
    hold.set()


async def test_a_request_that_reached_the_gateway_and_timed_out_is_not_resent(
    make_client: Callable[..., WenwenClient], sleeps: list[float]
) -> None:
    """Only connect errors, 429 and 5xx are safe to retry; a read timeout may be a request being billed."""
    received = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal received
        await reader.readuntil(b"\r\n\r\n")
        received += 1
        await reader.read()  # never answer; ends when the client gives up and closes
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}", retries=2, read_timeout=0.2)
    try:
        with pytest.raises(WenwenError):
            await collect(client.chat_stream(REQUEST))
    finally:
        server.close()
    assert received == 1, f"the same chat request was sent {received} times"


# ---------------------------------------------------------------------------------- error envelopes

RID = "20250411123456789abcdEFGH"


def envelope(message: str, type_: str = "new_api_error", code: str | None = "") -> bytes:
    return json.dumps({"error": {"message": message, "type": type_, "param": "", "code": code}}).encode()


@pytest.mark.parametrize(
    ("status", "body", "kind", "message", "code"),
    [
        (401, envelope(f"无效的令牌 (request id: {RID})"), ErrorKind.INVALID_KEY, "无效的令牌", None),
        (401, envelope(f"未提供令牌 (request id: {RID})"), ErrorKind.INVALID_KEY, "未提供令牌", None),
        (
            401,
            envelope(f"[sk-abc***xyz] 该令牌额度已用尽 (request id: {RID})"),
            ErrorKind.QUOTA,
            "[sk-abc***xyz] 该令牌额度已用尽",
            None,
        ),
        (
            403,
            envelope(f"user quota is not enough (request id: {RID})", code="insufficient_user_quota"),
            ErrorKind.QUOTA,
            "user quota is not enough",
            "insufficient_user_quota",
        ),
        (
            403,
            envelope(f"该令牌无权访问模型 gpt-5 (request id: {RID})"),
            ErrorKind.MODEL_UNAVAILABLE,
            "该令牌无权访问模型 gpt-5",
            None,
        ),
        (403, envelope(f"无权访问 vip 分组 (request id: {RID})"), ErrorKind.FORBIDDEN, "无权访问 vip 分组", None),
        (
            413,
            envelope(f"request body too large (request id: {RID})", code="read_request_body_failed"),
            ErrorKind.TOO_LARGE,
            "request body too large",
            "read_request_body_failed",
        ),
        (
            429,
            envelope(f"当前分组上游负载已饱和，请稍后再试 (request id: {RID})"),
            ErrorKind.RATE_LIMITED,
            "当前分组上游负载已饱和，请稍后再试",
            None,
        ),
        (
            429,
            envelope(f"您已达到请求数限制：1分钟内最多请求10次 (request id: {RID})"),
            ErrorKind.RATE_LIMITED,
            "您已达到请求数限制：1分钟内最多请求10次",
            None,
        ),
        (
            500,
            envelope(f"请求上游地址失败 (request id: {RID})", code="do_request_failed"),
            ErrorKind.UPSTREAM,
            "请求上游地址失败",
            "do_request_failed",
        ),
        (
            503,
            envelope(f"当前分组 default 下对于模型 gpt-9 无可用渠道 (request id: {RID})", code="model_not_found"),
            ErrorKind.MODEL_UNAVAILABLE,
            "当前分组 default 下对于模型 gpt-9 无可用渠道",
            "model_not_found",
        ),
        (
            400,
            envelope(f"Invalid request, invalid JSON request body (request id: {RID})"),
            ErrorKind.BAD_REQUEST,
            "Invalid request, invalid JSON request body",
            None,
        ),
        (
            400,
            envelope(
                f"Unsupported value: 'temperature' (request id: {RID})", "invalid_request_error", "unsupported_value"
            ),
            ErrorKind.BAD_REQUEST,
            "Unsupported value: 'temperature'",
            "unsupported_value",
        ),
        # Claude format on /v1/messages
        (
            529,
            json.dumps(
                {"type": "error", "error": {"type": "overloaded_error", "message": f"Overloaded (request id: {RID})"}}
            ).encode(),
            ErrorKind.UPSTREAM,
            "Overloaded",
            None,
        ),
        (
            400,
            json.dumps(
                {
                    "type": "error",
                    "error": {"type": "invalid_request_error", "message": f"max_tokens: too big (request id: {RID})"},
                }
            ).encode(),
            ErrorKind.BAD_REQUEST,
            "max_tokens: too big",
            None,
        ),
    ],
)
def test_error_envelopes_with_request_id_in_text(
    status: int, body: bytes, kind: ErrorKind, message: str, code: str | None
) -> None:
    error = error_from_response(status, body, httpx.Headers())
    assert error.kind == kind
    assert error.status == status
    assert error.message == message
    assert "request id" not in error.message
    assert error.request_id == RID
    assert error.code == code
    assert str(error) == f"HTTP {status}: {message} (request id: {RID})"


def test_request_id_from_the_header() -> None:
    headers = httpx.Headers({"X-Oneapi-Request-Id": "HEADER-ID"})
    error = error_from_response(500, envelope("upstream failed"), headers)
    assert error.request_id == "HEADER-ID"
    assert error.message == "upstream failed"
    both = error_from_response(500, envelope(f"upstream failed (request id: {RID})"), headers)
    assert both.message == "upstream failed"
    assert both.request_id in ("HEADER-ID", RID)


def test_claude_shape_keeps_its_type() -> None:
    body = json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}).encode()
    error = error_from_response(529, body, httpx.Headers())
    assert error.error_type == "overloaded_error"
    assert error.retryable


@pytest.mark.parametrize(
    ("status", "body", "kind", "message", "code"),
    [
        (
            400,
            {"description": "task_no_found ", "type": "upstream_error", "code": 4},
            ErrorKind.BAD_REQUEST,
            "task_no_found",
            "4",
        ),
        (
            400,
            {"description": "quota_not_enough ", "type": "upstream_error", "code": 4},
            ErrorKind.QUOTA,
            "quota_not_enough",
            "4",
        ),
        (
            429,
            {
                "description": "do_request_failed 当前分组负载已饱和，请稍后再试，或升级账户以提升服务质量。",
                "type": "upstream_error",
                "code": 30,
            },
            ErrorKind.RATE_LIMITED,
            "do_request_failed 当前分组负载已饱和，请稍后再试，或升级账户以提升服务质量。",
            "30",
        ),
        (
            503,
            {"description": "channel overloaded", "type": "new_api_error", "code": "channel_overloaded"},
            ErrorKind.UPSTREAM,
            "channel overloaded",
            "channel_overloaded",
        ),
        (404, {"error": "midjourney_task_not_found"}, ErrorKind.BAD_REQUEST, "midjourney_task_not_found", None),
        (
            404,
            {"code": "task_not_exist", "message": "task_not_exist", "data": None},
            ErrorKind.BAD_REQUEST,
            "task_not_exist",
            "task_not_exist",
        ),
    ],
)
def test_midjourney_and_task_envelopes(
    status: int, body: dict[str, object], kind: ErrorKind, message: str, code: str | None
) -> None:
    error = error_from_response(status, json.dumps(body, ensure_ascii=False).encode(), httpx.Headers())
    assert error.kind == kind
    assert error.message == message
    assert error.code == code
    assert error.request_id is None


NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n" + "<!-- padding -->\r\n" * 50
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (NGINX_502, "502 Bad Gateway"),
        ("upstream connect error or disconnect/reset before headers", "upstream connect error"),
        ("", "HTTP 502"),
        ("<html><body>" + "x" * 2000 + "</body></html>", "xxx"),
    ],
)
def test_plain_text_and_html_bodies(body: str, expected: str) -> None:
    error = error_from_response(502, body.encode(), httpx.Headers({"X-Oneapi-Request-Id": "R1"}))
    assert error.kind == ErrorKind.UPSTREAM
    assert error.retryable
    assert expected in error.message
    assert "<" not in error.message and "\n" not in error.message
    assert len(error.message) <= 300
    assert error.request_id == "R1"


async def test_plain_502_through_the_client(ww: FakeWenwen, client: WenwenClient) -> None:
    ww.script(
        Reply(status=502, plain_body=NGINX_502),
        Reply(status=502, plain_body=NGINX_502),
        Reply(status=502, plain_body=NGINX_502),
    )
    with pytest.raises(WenwenError) as caught:
        await collect(client.chat_stream(REQUEST))
    assert caught.value.kind == ErrorKind.UPSTREAM
    assert "502 Bad Gateway" in caught.value.message
    assert caught.value.request_id == chat_requests(ww)[-1].request_id
    assert len(chat_requests(ww)) == 3
