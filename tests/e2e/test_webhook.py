"""Webhook mode (bot/webhook.py) over real HTTP on loopback: what it answers, and what it refuses unread."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import webhook
from bot.__main__ import webhook_options
from bot.app import ALLOWED_UPDATES
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ALICE, API_KEY, TOKEN, RunningBot, bot_command, make_settings

SECRET = "s3cret-Token_for-tests"
HOOK = "/tg-hook"
MB = 1_048_576
LIMIT = webhook.MAX_BODY

StartHook = Callable[..., Awaitable[RunningBot]]


@pytest.fixture
async def start_hook(tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path) -> AsyncIterator[StartHook]:
    """Factory: `await start_hook(**limits)` runs the bot in webhook mode on a free port (runner.webhook.port)."""
    runners: list[RunningBot] = []

    async def start(**limits: Any) -> RunningBot:
        settings = make_settings(
            tg.base_url,
            ww.base_url,
            tmp_path / "db.sqlite3",
            webhook_url=f"https://bot.example.test{HOOK}",
            webhook_listen="127.0.0.1",
            webhook_secret=SECRET,
        )
        runner = RunningBot(settings)
        runners.append(runner)
        await runner.start_webhook({**webhook_options(settings), "port": 0, **limits})
        return runner

    yield start
    for runner in runners:
        await runner.stop()


@pytest.fixture
async def port(start_hook: StartHook) -> int:
    runner = await start_hook()
    assert runner.webhook is not None
    return runner.webhook.port


@pytest.fixture
async def hook_client(port: int) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
        yield c


def user_update(tg: FakeTelegram, text: str, chat: int = ALICE) -> dict[str, Any]:
    """The update Telegram would deliver for a user's message (taken off the fake's getUpdates queue)."""
    tg.send_text(chat, text)
    return tg.updates.pop()


def authed(secret: str = SECRET) -> dict[str, str]:
    return {webhook.SECRET_HEADER: secret}


def head(method: str = "POST", path: str = HOOK, *lines: str) -> bytes:
    """A raw request head; the body (if any) is sent separately."""
    return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *lines, "", ""]).encode("latin-1")


async def exchange(port: int, request: bytes, timeout: float = 5.0) -> tuple[bytes, bool]:  # noqa: ASYNC109
    """Send ``request`` as it is, then read until the server closes: (everything received, closed?).

    The timeout (5 s) is shorter than the server's body timeout (10 s): a server that waited for the
    rest of a declared body would fail the test instead of answering it. A plain socket, because after
    the server's reset the kernel still hands over the answer received before it (asyncio streams drop it).
    """
    loop = asyncio.get_running_loop()
    received, closed = b"", False
    with socket.socket() as sock:
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                with contextlib.suppress(ConnectionError):  # refused and reset while still sending
                    await loop.sock_sendall(sock, request)
                with contextlib.suppress(ConnectionError):
                    while piece := await loop.sock_recv(sock, 65_536):
                        received += piece
                closed = True
    return received, closed


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0


async def answered(tg: FakeTelegram, text: str, chat: int = ALICE) -> None:
    await tg.wait_for(lambda: any(m.text == f"echo: {text}" for m in tg.chat_messages(chat)), timeout=15)


# ------------------------------------------------------------------------------------- accepted


async def test_the_right_secret_gets_200_and_the_bot_answers(
    hook_client: httpx.AsyncClient, tg: FakeTelegram, ww: FakeWenwen
) -> None:
    registered = tg.calls_of("setWebhook")[-1].params
    assert registered["url"] == f"https://bot.example.test{HOOK}"
    assert registered["secret_token"] == SECRET
    assert registered["allowed_updates"] == ALLOWED_UPDATES
    assert registered["drop_pending_updates"] is False

    response = await hook_client.post(HOOK, json=user_update(tg, "via webhook"), headers=authed())
    assert (response.status_code, response.content) == (200, b"")
    await answered(tg, "via webhook")
    slash = await hook_client.post(f"{HOOK}/", json=user_update(tg, "trailing slash"), headers=authed())
    assert slash.status_code == 200  # as PTB's server: the path with or without a final "/"
    await answered(tg, "trailing slash")
    assert len(ww.requests_to("/v1/chat/completions")) == 2


async def test_bodies_up_to_exactly_the_limit_are_taken_whole_or_chunked(
    hook_client: httpx.AsyncClient, tg: FakeTelegram
) -> None:
    def padded(text: str) -> bytes:
        body = json.dumps(user_update(tg, text)).encode()
        return body + b" " * (LIMIT - len(body))  # whitespace after the JSON: still a valid update

    async def chunks(body: bytes) -> AsyncIterator[bytes]:
        for start in range(0, len(body), 10_000):
            yield body[start : start + 10_000]

    whole = await hook_client.post(HOOK, content=padded("a full megabyte"), headers=authed())
    chunked = await hook_client.post(HOOK, content=chunks(padded("a chunked megabyte")), headers=authed())
    assert (whole.status_code, chunked.status_code) == (200, 200)
    await answered(tg, "a full megabyte")
    await answered(tg, "a chunked megabyte")
    one_more = await hook_client.post(HOOK, content=padded("one byte too many") + b" ", headers=authed())
    assert one_more.status_code == 413


# ------------------------------------------------------------------------------------- the secret


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {webhook.SECRET_HEADER: ""},
        {webhook.SECRET_HEADER: "nope"},
        {webhook.SECRET_HEADER: SECRET[:-1]},
        {webhook.SECRET_HEADER: SECRET + "x"},
        {webhook.SECRET_HEADER: SECRET.upper()},
        {webhook.SECRET_HEADER: "sécret".encode()},  # not ASCII: refused, not a server error
    ],
    ids=["missing", "empty", "wrong", "prefix", "longer", "other-case", "non-ascii"],
)
async def test_a_missing_or_wrong_secret_gets_403_and_nothing_is_processed(
    hook_client: httpx.AsyncClient, tg: FakeTelegram, ww: FakeWenwen, headers: dict[str, Any]
) -> None:
    refused = await hook_client.post(HOOK, json=user_update(tg, "forged"), headers=headers)
    assert refused.status_code == 403
    assert refused.headers["connection"] == "close"
    # Updates of one chat are handled in order: once the real one is answered, a forged one would be too.
    accepted = await hook_client.post(HOOK, json=user_update(tg, "genuine"), headers=authed())
    assert accepted.status_code == 200
    await answered(tg, "genuine")
    assert [m.text for m in tg.chat_messages(ALICE)] == ["echo: genuine"]
    assert len(ww.requests_to("/v1/chat/completions")) == 1


async def test_the_secret_is_compared_with_hmac_compare_digest(
    hook_client: httpx.AsyncClient, tg: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        calls.append((given, expected))
        return real(given, expected)

    monkeypatch.setattr(webhook.hmac, "compare_digest", spy)
    wrong = await hook_client.post(HOOK, json=user_update(tg, "x"), headers=authed("s3cret-Token_for-testX"))
    right = await hook_client.post(HOOK, json=user_update(tg, "y"), headers=authed())
    assert (wrong.status_code, right.status_code) == (403, 200)
    assert calls == [(b"s3cret-Token_for-testX", SECRET.encode()), (SECRET.encode(), SECRET.encode())]


# ------------------------------------------------------------------------------- refused unread


@pytest.mark.parametrize(
    ("length", "status"),
    [(str(50 * MB), 413), (str(LIMIT + 1), 413), ("9" * 5000, 413), ("12abc", 400), ("-1", 400)],
    ids=["50MB", "limit+1", "5000-digits", "not-a-number", "negative"],
)
async def test_a_declared_body_over_1_mb_gets_413_from_the_headers_alone(
    port: int, ww: FakeWenwen, caplog: pytest.LogCaptureFixture, length: str, status: int
) -> None:
    request = head("POST", HOOK, f"{webhook.SECRET_HEADER}: {SECRET}", f"Content-Length: {length}")
    # headers and 4 KB of a 50 MB body: the answer must come without the server waiting for the rest
    response, closed = await exchange(port, request + b"x" * 4096)
    assert status_of(response) == status, response[:200]
    assert b"\r\nConnection: close\r\n" in response
    assert closed, "the connection stays open: the server is still reading the body"
    assert ww.requests_to("/v1/chat/completions") == []
    assert [r.getMessage() for r in caplog.records if r.name.startswith("tornado")] == []  # no line per attack


@pytest.mark.parametrize("secret_line", [None, f"{webhook.SECRET_HEADER}: wrong"], ids=["missing", "wrong"])
async def test_a_large_body_without_the_secret_gets_403_before_any_of_it_is_sent(
    port: int, secret_line: str | None
) -> None:
    lines = [f"Content-Length: {50 * MB}", "Expect: 100-continue", *([secret_line] if secret_line else [])]
    response, closed = await exchange(port, head("POST", HOOK, *lines))  # not one byte of the body
    assert status_of(response) == 403, response[:200]  # and no "100 Continue" inviting the body first
    assert closed


async def test_with_the_secret_the_same_server_does_invite_the_body(port: int) -> None:
    """The control for the test above: ``Expect: 100-continue`` is honoured once the headers pass."""
    request = head("POST", HOOK, f"{webhook.SECRET_HEADER}: {SECRET}", "Content-Length: 2", "Expect: 100-continue")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        async with asyncio.timeout(5):
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 100")
            writer.write(b"{}")  # JSON, but no update_id
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 400")
    finally:
        writer.close()


async def test_a_chunked_body_growing_past_1_mb_is_cut_off_before_it_ends(
    port: int, ww: FakeWenwen, caplog: pytest.LogCaptureFixture
) -> None:
    # A plain socket: after the server's reset, the kernel still hands over the answer it received
    # first (an asyncio stream would drop it on the write error).
    loop = asyncio.get_running_loop()
    sent, total = 0, 32 * MB
    piece = b"4000\r\n" + b" " * 0x4000 + b"\r\n"  # 16 KB chunks
    with socket.socket() as sock:
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        await loop.sock_sendall(
            sock, head("POST", HOOK, f"{webhook.SECRET_HEADER}: {SECRET}", "Transfer-Encoding: chunked")
        )
        with contextlib.suppress(ConnectionError):  # the server closed the connection: the refusal
            async with asyncio.timeout(10):
                while sent < total:
                    await loop.sock_sendall(sock, piece)
                    sent += 0x4000
        response = b""
        with contextlib.suppress(ConnectionError):
            async with asyncio.timeout(5):
                while piece := await loop.sock_recv(sock, 65_536):
                    response += piece
    assert sent < total, "the server read the whole 32 MB body"
    assert sent > LIMIT  # refused because of the size, once the body was past the limit
    assert status_of(response) == 413, response[:200]
    assert ww.requests_to("/v1/chat/completions") == []
    assert [r.getMessage() for r in caplog.records if r.name.startswith("tornado")] == []


# ------------------------------------------------------------------------------ other requests


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", HOOK, 405),
        ("PUT", HOOK, 405),
        ("DELETE", HOOK, 405),
        ("POST", "/", 404),
        ("POST", "/tg-hookX", 404),
        ("POST", f"{HOOK}/more", 404),
        ("GET", "/favicon.ico", 404),
    ],
)
async def test_only_post_on_the_webhook_path_is_served(port: int, method: str, path: str, status: int) -> None:
    # the secret is right and a 50 MB body is declared: refused from the request line, nothing read
    lines = [f"{webhook.SECRET_HEADER}: {SECRET}", f"Content-Length: {50 * MB}"]
    response, closed = await exchange(port, head(method, path, *lines))
    assert status_of(response) == status, response[:200]
    assert closed
    if status == 405:
        assert b"\r\nAllow: POST\r\n" in response
    assert b"\r\nServer:" not in response  # no version banner


@pytest.mark.parametrize(
    "body",
    [
        b"PRIVATE, not json",
        b"",
        b"\xff\xfe\xfa PRIVATE",
        b'["PRIVATE", 2]',
        b'"PRIVATE"',
        b'{"message": {"text": "PRIVATE"}}',
        b'{"update_id": "PRIVATE"}',
        b'{"update_id": 7, "message": "PRIVATE"}',
        b"[" * 100_000,
    ],
    ids=["text", "empty", "not-utf8", "list", "string", "no-update-id", "string-id", "bad-message", "deep"],
)
async def test_a_body_that_is_not_an_update_gets_400_and_an_info_line_without_it(
    hook_client: httpx.AsyncClient, ww: FakeWenwen, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    response = await hook_client.post(HOOK, content=body, headers=authed() | {"Content-Type": "application/json"})
    assert response.status_code == 400
    lines = [r for r in caplog.records if r.name == "bot.webhook" and "refused" in r.getMessage()]
    assert [r.levelname for r in lines] == ["INFO"]
    message = lines[0].getMessage()
    assert f"{len(body)}-byte body" in message
    assert "PRIVATE" not in message and "[[[" not in message
    assert ww.requests_to("/v1/chat/completions") == []


# ---------------------------------------------------------------------------------- slow clients


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"",
        b"POST /tg-hook HTTP/1.1\r\nHost: 127",
        head("POST", HOOK, f"{webhook.SECRET_HEADER}: {SECRET}", "Content-Length: 100") + b"{",
    ],
    ids=["silent", "half-headers", "half-body"],
)
async def test_slow_clients_are_disconnected(start_hook: StartHook, request_bytes: bytes) -> None:
    runner = await start_hook(idle_timeout=0.5, body_timeout=0.5)
    assert runner.webhook is not None
    loop = asyncio.get_running_loop()
    started = loop.time()
    _, closed = await exchange(runner.webhook.port, request_bytes, timeout=5)
    assert closed
    assert loop.time() - started < 3


def test_a_webhook_without_a_secret_token_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        webhook.WebhookServer(
            None,  # type: ignore[arg-type]
            listen="127.0.0.1",
            port=0,
            url_path="hook",
            webhook_url="https://bot.example.test/hook",
            secret_token="",
        )


# -------------------------------------------------------------------------------- the real command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_command_serves_the_webhook_and_stops_on_sigterm_without_leaking_secrets(
    tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "WENWEN_API_KEY": API_KEY,
        "TELEGRAM_API_URL": tg.base_url,
        "WENWEN_BASE_URL": ww.base_url,
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "ALLOWED_USER_IDS": str(ALICE),
        "WEBHOOK_URL": f"https://bot.example.test{HOOK}",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET": SECRET,
        "LOG_LEVEL": "DEBUG",  # even at DEBUG nothing secret may be printed
    }
    process = await asyncio.create_subprocess_exec(
        *bot_command(), cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        await tg.wait_for(lambda: bool(tg.calls_of("setWebhook")), timeout=20)  # sent once it listens
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            forged = await client.post(HOOK, json=user_update(tg, "forged"), headers=authed("wrong"))
            accepted = await client.post(HOOK, json=user_update(tg, "hello hook"), headers=authed())
        assert (forged.status_code, accepted.status_code) == (403, 200)
        await answered(tg, "hello hook")
        assert tg.calls_of("getUpdates") == []
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    output = (stdout + stderr).decode()
    assert process.returncode == 0, output[-2000:]
    assert "webhook server listening on 127.0.0.1" in output
    assert "stop signal received" in output
    for secret in (TOKEN.split(":")[1], API_KEY, SECRET):
        assert secret not in output
    assert "Traceback" not in output
    assert [m.text for m in tg.chat_messages(ALICE)] == ["echo: hello hook"]
