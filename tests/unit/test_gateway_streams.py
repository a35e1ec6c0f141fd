"""Streamed answers on aiohttp: framing across chunk edges, a bound on one event, the connection closed
when an answer is stopped (the gateway stops generating), failures named sent or not sent."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from bot.wenwen import streaming
from bot.wenwen.errors import WenwenError, WenwenNetworkError, WenwenStreamError
from bot.wenwen.streaming import GatewayStreams, StreamBroken

Chunks = list[bytes]


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[str, dict[str, Chunks], dict[str, asyncio.Event]]]:
    """Serves `bodies[path]` chunk by chunk; `gone[path]` is set when the client went away mid-answer."""
    bodies: dict[str, Chunks] = {}
    gone: dict[str, asyncio.Event] = {}
    cookies: list[str | None] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        cookies.append(request.headers.get("Cookie"))
        if request.path == "/cookie":
            reply = web.json_response({})
            reply.set_cookie("cdn", "x")
            return reply
        if request.path == "/whole":  # an upstream that ignored "stream": one JSON body
            return web.Response(body=b'{"choices": []}' + b" " * 200_000, content_type="application/json")
        if request.path == "/endless-error":  # a 500 whose body never ends
            failing = web.StreamResponse(status=500)
            await failing.prepare(request)
            await failing.write(b"upstream exploded ")
            with contextlib.suppress(ConnectionResetError):
                while True:
                    await failing.write(b"!" * 4096)
                    await asyncio.sleep(0)
        if request.path == "/refuse":
            return web.json_response({"error": {"message": "quota exhausted", "type": "x"}}, status=429)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        try:
            for chunk in bodies[request.path]:
                if chunk == b"HANG":
                    await asyncio.sleep(30)
                elif chunk == b"CUT":
                    assert request.transport is not None
                    request.transport.close()
                    return response
                else:
                    await response.write(chunk)
                    await asyncio.sleep(0)
        except (ConnectionResetError, asyncio.CancelledError):
            gone.setdefault(request.path, asyncio.Event()).set()
            raise
        return response

    app = web.Application()
    app.router.add_post("/{path:.*}", handle)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    bodies["cookies"] = cookies  # type: ignore[assignment]  # what each request carried
    yield f"http://127.0.0.1:{port}", bodies, gone
    await runner.cleanup()


@asynccontextmanager
async def streams(url: str) -> AsyncIterator[GatewayStreams]:
    client = GatewayStreams(url, "sk-secret", connect_timeout=2, read_timeout=5)
    try:
        yield client
    finally:
        await client.aclose()


async def collect(client: GatewayStreams, path: str) -> list[tuple[str, str]]:
    async with client.open(path, {"stream": True}, {}) as answer:
        return [(event.event, event.data) async for event in answer.events()]


async def test_events_split_anywhere_and_any_line_ending_come_out_whole(gateway: tuple) -> None:
    url, bodies, _gone = gateway
    whole = "event: delta\r\ndata: 你好\r\n\r\ndata: a\rdata: b\r\r: comment\n\ndata: [DONE]\n\n".encode()
    bodies["/s"] = [whole[i : i + 1] for i in range(len(whole))]  # one byte a chunk: splits "你" too
    async with streams(url) as client:
        assert await collect(client, "/s") == [("delta", "你好"), ("message", "a\nb"), ("message", "[DONE]")]


async def test_a_last_event_without_its_blank_line_is_still_delivered(gateway: tuple) -> None:
    # the spec drops it (httpx-sse did); some gateways end with "data: [DONE]\n" alone, and that marker is
    # how a whole answer is told from a cut one
    url, bodies, _gone = gateway
    bodies["/s"] = [b"data: one\n\ndata: tail"]
    async with streams(url) as client:
        assert await collect(client, "/s") == [("message", "one"), ("message", "tail")]


async def test_one_endless_event_is_refused_not_held(gateway: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    url, bodies, _gone = gateway
    monkeypatch.setattr(streaming, "MAX_EVENT_CHARS", 10_000)
    bodies["/s"] = [b"data: " + b"x" * 4000 + b"\n" for _ in range(10)]  # never a blank line
    async with streams(url) as client:
        with pytest.raises(WenwenStreamError, match="over 10000"):
            await collect(client, "/s")


async def test_a_stopped_answer_closes_its_connection_so_the_gateway_stops(gateway: tuple) -> None:
    url, bodies, gone = gateway
    bodies["/s"] = [b"data: first\n\n", b"HANG"]
    async with streams(url) as client:
        async with client.open("/s", {}, {}) as answer:
            async for event in answer.events():
                assert event.data == "first"
                break  # the user pressed stop
        await asyncio.wait_for(gone.setdefault("/s", asyncio.Event()).wait(), 5)


async def test_a_cut_mid_answer_is_stream_broken(gateway: tuple) -> None:
    url, bodies, _gone = gateway
    bodies["/s"] = [b"data: first\n\n", b"CUT"]
    async with streams(url) as client:
        with pytest.raises(StreamBroken):
            await collect(client, "/s")


async def test_an_error_answer_is_typed_and_keeps_the_key_out(gateway: tuple) -> None:
    url, _bodies, _gone = gateway
    async with streams(url) as client:
        with pytest.raises(WenwenError) as caught:
            await collect(client, "/refuse")
        assert caught.value.status == 429 and "quota" in str(caught.value)
        assert "sk-secret" not in str(caught.value)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("make_url", "sent"),
    [(lambda: f"http://127.0.0.1:{_closed_port()}", False)],
    ids=["refused connection: not sent, safe to retry"],
)
async def test_a_connection_that_never_opened_is_not_sent(make_url: Callable[[], str], sent: bool) -> None:
    async with streams(make_url()) as client:
        with pytest.raises(WenwenNetworkError) as caught:
            await collect(client, "/s")
        assert caught.value.sent is sent and caught.value.retryable


async def test_no_cookie_a_server_set_is_sent_with_the_next_answer(gateway: tuple) -> None:
    url, bodies, _gone = gateway
    bodies["/s"] = [b"data: x\n\n"]
    async with streams(url.replace("127.0.0.1", "localhost")) as client:  # a jar keeps no cookie of an IP
        async with client.open("/cookie", {}, {}) as answer:  # a 200 that sets a cookie
            await answer.body()
        await collect(client, "/s")
    assert bodies["cookies"][-1] is None


async def test_a_whole_body_past_its_bound_is_refused(gateway: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    url, _bodies, _gone = gateway
    monkeypatch.setattr(streaming, "MAX_BODY_BYTES", 100_000)
    async with streams(url) as client:
        with pytest.raises(WenwenStreamError, match="over 100000 bytes"):
            async with client.open("/whole", {}, {}) as answer:
                await answer.body()
        monkeypatch.setattr(streaming, "MAX_BODY_BYTES", 1_000_000)
        async with client.open("/whole", {}, {}) as answer:
            assert (await answer.body()).startswith(b'{"choices": []}')


async def test_an_error_answer_is_read_only_as_far_as_its_message(gateway: tuple) -> None:
    url, _bodies, _gone = gateway
    async with streams(url) as client, asyncio.timeout(10):  # its body never ends: read to the bound only
        with pytest.raises(WenwenError) as caught:
            await collect(client, "/endless-error")
    assert caught.value.status == 500 and "upstream exploded" in str(caught.value)
