"""The Bot API transport keeps PTB's contract: answers pass through, a slow answer is `TimedOut`, a cut
connection a `NetworkError` the rest of the bot recognises as "no answer came" (not a 5xx it may resend)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.ratelimit import _server_error
from bot.render.telegram_io import is_transport_error
from bot.telegram_http import AiohttpRequest

TOKEN = "123:abc"
BOT_USER = {"id": 123, "is_bot": True, "first_name": "wenwen", "username": "wenwen_bot"}
RESULTS: dict[str, object] = {
    "getMe": BOT_USER,
    "sendDocument": {"message_id": 5, "date": 0, "chat": {"id": 7, "type": "private"}, "from": BOT_USER},
}
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("再来", callback_data="x:1")]])


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[web.Request], list[dict[str, object]]]]:
    seen: list[web.Request] = []
    bodies: list[dict[str, object]] = []
    release = asyncio.Event()

    async def handle(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        method = request.match_info["method"]
        form = await request.post()  # form-encoded or multipart
        bodies.append(
            {
                name: (value.filename, value.file.read()) if isinstance(value, web.FileField) else value
                for name, value in form.items()
            }
        )
        if method == "cut":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if method == "slow":
            await release.wait()
        if method == "cookie":
            response = web.json_response({"ok": True, "result": True})
            response.set_cookie("session", "abc")
            return response
        if method == "refuse":
            return web.json_response({"ok": False, "error_code": 400, "description": "Bad Request: nope"}, status=400)
        return web.json_response({"ok": True, "result": RESULTS.get(method, True)})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", seen, bodies
    release.set()
    await runner.cleanup()


async def test_an_answer_passes_through_with_form_fields_and_the_user_agent(server: tuple) -> None:
    url, seen, _bodies = server
    async with AiohttpRequest(read_timeout=5) as request:  # initialize … shutdown
        result = await request.post(f"{url}/bot{TOKEN}/sendMessage", None)
        assert result is True
        assert "python-telegram-bot" in seen[-1].headers["User-Agent"]
        with pytest.raises(BadRequest, match=r"(?i)nope"):
            await request.post(f"{url}/bot{TOKEN}/refuse", None)


async def test_a_file_goes_as_multipart_with_its_name_and_the_other_fields(server: tuple) -> None:
    url, _seen, bodies = server
    bot = Bot(TOKEN, base_url=f"{url}/bot", request=AiohttpRequest(), get_updates_request=AiohttpRequest())
    async with bot:
        await bot.send_document(7, InputFile(b"%PDF-1", filename="a.pdf"), caption="下载 ok", reply_markup=KEYBOARD)
    sent = bodies[-1]
    assert sent["chat_id"] == "7" and sent["caption"] == "下载 ok"
    assert sent["document"] == ("a.pdf", b"%PDF-1")
    assert json.loads(str(sent["reply_markup"]))["inline_keyboard"][0][0]["callback_data"] == "x:1"


async def test_no_answer_in_time_is_timed_out(server: tuple) -> None:
    url, _seen, _bodies = server
    async with AiohttpRequest(read_timeout=0.2) as request:  # initialize … shutdown
        with pytest.raises(TimedOut) as caught:
            await request.post(f"{url}/bot{TOKEN}/slow", None)
        assert is_transport_error(caught.value) and not _server_error(caught.value)


async def test_a_cut_connection_is_a_transport_error_never_taken_for_a_server_error(server: tuple) -> None:
    url, _seen, _bodies = server
    async with AiohttpRequest(read_timeout=5) as request:  # initialize … shutdown
        with pytest.raises(NetworkError) as caught:
            await request.post(f"{url}/bot{TOKEN}/cut", None)
        assert not isinstance(caught.value, TimedOut)
        assert is_transport_error(caught.value), caught.value.message
        assert not _server_error(caught.value)  # Telegram may have acted: the limiter must not resend it
        assert TOKEN not in caught.value.message


async def test_nothing_is_sent_before_initialize_or_after_shutdown() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:9/x", "POST")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()  # twice is harmless, as PTB may call it
    with pytest.raises(RuntimeError):
        await request.do_request("http://127.0.0.1:9/x", "POST")


async def test_http_proxy_from_the_environment_is_used_as_with_ptb_s_default(
    server: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, seen, _bodies = server  # the loopback server plays the proxy: it gets the absolute URL
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with AiohttpRequest(read_timeout=5) as request:  # initialize … shutdown
        assert await request.post(f"http://telegram.invalid/bot{TOKEN}/sendMessage", None) is True
        assert seen[-1].host == "telegram.invalid"
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with AiohttpRequest(read_timeout=5) as fresh:
            assert await fresh.post(f"{url}/bot{TOKEN}/sendMessage", None) is True  # direct, not via itself
            assert seen[-1].host == url.removeprefix("http://")


async def test_cookies_a_server_sets_are_never_sent_back(server: tuple) -> None:
    url, seen, _bodies = server
    named = url.replace("127.0.0.1", "localhost")  # a cookie jar keeps no cookie of an IP address
    async with AiohttpRequest(read_timeout=5) as request:
        await request.post(f"{named}/bot{TOKEN}/cookie", None)
        await request.post(f"{named}/bot{TOKEN}/sendMessage", None)
    assert "Cookie" not in seen[-1].headers


async def test_an_error_that_quotes_the_url_does_not_carry_the_token() -> None:
    async with AiohttpRequest(read_timeout=5) as request:
        with pytest.raises(NetworkError) as caught:  # a scheme aiohttp refuses: its error is the URL itself
            await request.post(f"ftp://127.0.0.1/bot{TOKEN}/sendMessage", None)
    assert is_transport_error(caught.value)
    assert TOKEN not in caught.value.message and "/bot<token>/sendMessage" in caught.value.message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # nor does a chained error
