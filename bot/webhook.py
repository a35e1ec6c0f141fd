"""Webhook mode: our own tornado server that takes Telegram's POSTs, bounded against abuse.

PTB's built-in server buffers the whole body (up to tornado's default of 100 MB) before it looks at
anything. Here every handler streams (``stream_request_body``), so ``prepare()`` sees the headers
first: the secret token, then the declared size, are checked before a byte of body is read, and a
refusal closes the connection (tornado's only way not to read the rest). ``data_received`` counts
the bytes of chunked bodies. Timeouts bound slow clients, and tornado's own limits stand behind ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import http.client
import json
import logging
import re
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, TypedDict

import tornado.web
from telegram import Bot, Update
from telegram.ext import ExtBot
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from .app import ALLOWED_UPDATES
from .context import BotApplication

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1_048_576  # Telegram's updates are a few KB; 1 MB leaves room for big messages/polls
CHUNK = 65_536  # tornado reads and hands over the body in pieces of this size
MAX_HEADERS = 16_384  # Telegram sends well under 1 KB of headers
# tornado's read buffer never has to hold more than one header block or one chunk plus one socket
# read; its default (100 MB) would let a single connection grow that far.
MAX_BUFFER = 4 * CHUNK
# tornado uses one timer for both the wait for the next request on a kept-alive connection and the
# arrival of a request's headers; the body then has its own.
IDLE_TIMEOUT = 15.0
BODY_TIMEOUT = 10.0
MAX_CONNECTIONS = 40  # what setWebhook allows Telegram to open at once (PTB's default)


class WebhookOptions(TypedDict):
    """What the settings decide (bot.__main__.webhook_options); the limits keep their defaults."""

    listen: str
    port: int
    url_path: str
    webhook_url: str
    secret_token: str
    answer_when_handled: bool


@dataclass(frozen=True)
class _Hook:
    """What every request on the webhook path needs, shared by all handler instances."""

    application: BotApplication
    secret: bytes
    max_body: int
    # several processes: the 200 goes once the update is handled (stored), not once it is queued, so an
    # update taken by a process that dies is sent again by Telegram, to another process
    when_handled: bool = False
    handling: set[asyncio.Task[None]] = field(default_factory=set)


def secret_matches(given: str | None, secret: bytes) -> bool:
    """Constant-time comparison, so the answer time does not tell how much of a guess was right."""
    if given is None:
        return False
    # tornado decodes header bytes as latin-1: encode back to the bytes that came over the wire
    # (str arguments to compare_digest would raise on non-ASCII input).
    return hmac.compare_digest(given.encode("latin-1"), secret)


def declared_size(value: str) -> int | None:
    """A Content-Length header as a number; None when it isn't plain digits."""
    if not value.isascii() or not value.isdigit():
        return None
    return int(value) if len(value) <= 18 else 10**18  # past int()'s digit limit it is just "huge"


def decode_update(body: bytes, bot: Bot) -> Update:
    """The update in a webhook body; ValueError with a short reason (never the body) if it isn't one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise ValueError(f"not JSON ({type(error).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise ValueError("JSON, but not an update object")
    try:
        return Update.de_json(data, bot)
    except Exception as error:  # PTB raises all kinds of errors on malformed fields
        raise ValueError(f"not an update object ({type(error).__name__})") from None


class _Refusing(tornado.web.RequestHandler):
    """Short plain-text refusals; one sent before the body was read also says the connection closes."""

    refused = False
    body_read = False

    def set_default_headers(self) -> None:
        self.clear_header("Server")  # no version banner for scanners

    def refuse(self, status: HTTPStatus, why: str) -> None:
        # DEBUG: a flood of refusals must not become a flood of log lines.
        log.debug("webhook: %d for %s from %s: %s", status, self.request.method, self.request.remote_ip, why)
        self.refused = True
        self.send_error(status)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if not self.body_read:
            self.set_header("Connection", "close")  # tornado closes it: the only way not to read the body
        if status_code == HTTPStatus.METHOD_NOT_ALLOWED:
            self.set_header("Allow", "POST")
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {http.client.responses.get(status_code, '')}\n")

    def log_exception(
        self, typ: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(value, tornado.web.HTTPError):
            return  # tornado's own answers (405): nothing went wrong
        log.error("webhook: request failed", exc_info=(typ, value, tb) if typ and value else None)


@tornado.web.stream_request_body
class _UpdateHandler(_Refusing):
    """POST on the webhook path: secret and size from the headers, then the body, then the queue."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, hook: _Hook) -> None:
        self.hook = hook
        self.chunks: list[bytes] = []
        self.size = 0

    def prepare(self) -> None:
        headers = self.request.headers
        if not secret_matches(headers.get(SECRET_HEADER), self.hook.secret):
            self.refuse(HTTPStatus.FORBIDDEN, "missing or wrong secret token")
            return
        declared = headers.get("Content-Length")
        size = None if declared is None else declared_size(declared)
        if declared is not None and size is None:
            self.refuse(HTTPStatus.BAD_REQUEST, "unreadable Content-Length")
        elif size is not None and size > self.hook.max_body:
            self.refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"declared body of {size} bytes")

    def data_received(self, chunk: bytes) -> None:
        if self.refused:  # tornado stops calling once we answered; this only guards the invariant
            return
        self.size += len(chunk)
        if self.size > self.hook.max_body:  # chunked bodies have no Content-Length to check up front
            self.chunks.clear()
            self.refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "streamed body over the limit")
            return
        self.chunks.append(chunk)

    async def post(self) -> None:
        self.body_read = True
        body = b"".join(self.chunks)
        self.chunks.clear()
        application = self.hook.application
        try:
            update = decode_update(body, application.bot)
        except ValueError as error:
            log.info("webhook: refused a %d-byte body from %s: %s", len(body), self.request.remote_ip, error)
            self.send_error(HTTPStatus.BAD_REQUEST)
            return
        if isinstance(application.bot, ExtBot):
            application.bot.insert_callback_data(update)  # arbitrary callback data, as PTB's server does
        if self.hook.when_handled:
            await self._handle(update)
            return
        await application.update_queue.put(update)
        log.debug("webhook: update %d queued", update.update_id)

    async def _handle(self, update: Update) -> None:
        """The update through the update processor now (not PTB's queue); the answer waits for it."""
        application = self.hook.application
        task = asyncio.ensure_future(
            application.update_processor.process_update(update, application.process_update(update))
        )
        self.hook.handling.add(task)
        task.add_done_callback(self.hook.handling.discard)
        try:
            await asyncio.shield(task)  # a client that goes away does not cancel the handling
        except Exception:
            log.exception("webhook: update %d failed", update.update_id)
            self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR)


@tornado.web.stream_request_body
class _NotFound(_Refusing):
    """Every other path, any method: 404 from the headers alone (a plain tornado 404 reads the body)."""

    def prepare(self) -> None:
        self.refuse(HTTPStatus.NOT_FOUND, "not the webhook path")


class _Routes(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """tornado's access log would print the path (it may be secret) at WARNING for every refusal."""


def _path_pattern(url_path: str) -> str:
    path = url_path.strip("/")
    return "/" if not path else f"/{re.escape(path)}/?"  # a trailing slash is fine, as in PTB


class WebhookServer:
    """Listens on ``listen:port`` for Telegram's POSTs to ``url_path`` and feeds the update queue."""

    def __init__(
        self,
        application: BotApplication,
        *,
        listen: str,
        port: int,
        url_path: str,
        webhook_url: str,
        secret_token: str,
        answer_when_handled: bool = False,
        max_body: int = MAX_BODY,
        idle_timeout: float = IDLE_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        if not secret_token:
            raise ValueError("the webhook needs a secret token")  # never serve updates to anyone who asks
        self._application = application
        self._listen, self._port = listen, port
        self._webhook_url, self._secret_token = webhook_url, secret_token
        hook = _Hook(application, secret_token.encode(), max_body, answer_when_handled)
        self._hook = hook
        self._routes = _Routes([(_path_pattern(url_path), _UpdateHandler, {"hook": hook}), (r".*", _NotFound)])
        self._limits: dict[str, Any] = {
            "max_body_size": max_body + CHUNK,  # a backstop: our own check answers 413 first
            "max_buffer_size": MAX_BUFFER,
            "max_header_size": MAX_HEADERS,
            "chunk_size": CHUNK,
            "idle_connection_timeout": idle_timeout,
            "body_timeout": body_timeout,
            "decompress_request": False,  # a gzip body could inflate far past the limit
        }
        self._server: HTTPServer | None = None
        self._sockets: list[socket.socket] = []

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0), or the configured one before start()."""
        return int(self._sockets[0].getsockname()[1]) if self._sockets else self._port

    async def start(self) -> None:
        """Listen first, then register the webhook: Telegram may post as soon as setWebhook returns."""
        self._sockets = bind_sockets(self._port, address=self._listen)
        self._server = HTTPServer(self._routes, **self._limits)
        self._server.add_sockets(self._sockets)
        self._application.bot_data.webhook_server = self  # /healthz asks whether it is listening
        try:
            # what PTB's Updater.start_webhook sends, with every update type asked for explicitly
            await self._application.bot.set_webhook(
                url=self._webhook_url,
                secret_token=self._secret_token,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
                max_connections=MAX_CONNECTIONS,
            )
        except BaseException:
            await self.stop()
            raise
        log.info("webhook server listening on %s:%d", self._listen, self.port)

    async def stop(self) -> None:
        """Stop listening and close open connections. The webhook stays set: Telegram keeps the updates."""
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        if self._hook.handling:  # updates being handled for an answer (answer_when_handled) finish first
            await asyncio.wait(set(self._hook.handling), timeout=BODY_TIMEOUT)
        await server.close_all_connections()
        self._sockets = []


async def run_webhook(application: BotApplication, options: WebhookOptions) -> None:
    """The whole process in webhook mode, until SIGINT or SIGTERM (PTB's run_webhook, our server)."""
    stopping = asyncio.Event()
    with _on_stop_signals(stopping.set):
        server = WebhookServer(application, **options)
        try:
            await application.initialize()
            if application.post_init:  # PTB's run_* call it; our own loop must too
                await application.post_init(application)
            await application.start()
            await server.start()
            await stopping.wait()
            log.info("stop signal received, shutting down")
        finally:
            await server.stop()  # no new updates while the queue drains
            await _shut_down(application)


async def _shut_down(application: BotApplication) -> None:
    """The order of tests/harness.py RunningBot.stop; each step is a no-op if its start never happened."""
    if application.running:
        await application.stop()  # handles what is already queued, waits for running handlers
        if application.post_stop:
            await application.post_stop(application)
    if application.post_shutdown:
        await application.post_shutdown(application)
    await application.shutdown()


@contextlib.contextmanager
def _on_stop_signals(callback: Callable[[], None]) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, callback)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
            continue
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
