"""FakeWenwen: a loopback HTTP fake of the wenwen gateway (stock QuantumNous/new-api).

This module owns the app, TokenAuth (docs/protocols.md, "Gateway: authentication"), request recording and the
``X-Oneapi-Request-Id`` header. Route families live in their own modules, each exposing
``register(fake, app)``; to add one (mj, audio, images, responses, messages …) write the module
and append it to ``FakeWenwen.ROUTE_MODULES``. Handlers can read ``request[BODY_KEY]`` (bytes,
already read) and ``request[RECORDED_KEY]`` (see recording.py); they raise
``errors.GatewayError`` to answer with an error, and mark auth-free routes
(``GET /mj/image/{id}``) with :func:`public`.

``/v1/images/variations``, ``/v1/files*`` and ``/v1/fine-tunes*`` are registered here as 501.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from aiohttp import web

from . import audio, billing, chat, embeddings, images, messages, mj, responses, video
from . import models as models_routes
from .audio import AudioMixin
from .billing import BillingMixin
from .chaos import ChaosMixin
from .errors import (
    REQUEST_ID_HEADER,
    GatewayError,
    ServerStopping,
    abort_openai,
    new_request_id,
    not_found,
    not_implemented,
    relay_error,
)
from .format_sse import Reply
from .images import ImagesMixin
from .mj import MidjourneyMixin
from .recording import BODY_KEY, RECORDED_KEY, REQUEST_ID_KEY, Headers, RecordedRequest, maybe_json
from .video import VideoMixin

MAX_REQUEST_BODY = 32 << 20  # MAX_REQUEST_BODY_MB default 32
PUBLIC_ATTR = "_wenwen_public"

_H = TypeVar("_H", bound=Callable[..., Awaitable[web.StreamResponse]])


def public(handler: _H) -> _H:
    """Mark a handler as registered before TokenAuth (no key needed)."""
    setattr(handler, PUBLIC_ATTR, True)
    return handler


class RouteModule(Protocol):
    def register(self, fake: FakeWenwen, app: web.Application) -> None: ...


def _strip_bearer(value: str) -> str:
    for prefix in ("Bearer ", "bearer "):
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


class FakeWenwen(MidjourneyMixin, AudioMixin, ImagesMixin, ChaosMixin, BillingMixin, VideoMixin):
    ROUTE_MODULES: tuple[RouteModule, ...] = (
        models_routes,
        chat,
        mj,
        audio,
        images,
        responses,
        messages,
        billing,
        embeddings,
        video,
    )

    def __init__(self, api_key: str = "sk-test-wenwen-key", models: list[dict[str, Any]] | None = None) -> None:
        self.api_key = api_key
        source = models if models is not None else models_routes.DEFAULT_MODELS
        self.models: list[dict[str, Any]] = [models_routes.normalize_model(m) for m in source]
        self.requests: list[RecordedRequest] = []
        self.streams_open = 0
        self.disconnects = 0
        self.chat_replies: deque[Reply] = deque()
        # /v1/messages without max_tokens: None → Anthropic's 400 "max_tokens: Field required";
        # a number → filled in like stock new-api's ClaudeHelper (GetDefaultMaxTokens, 8192).
        self.messages_default_max_tokens: int | None = None
        self.models_errors: deque[tuple[int, str]] = deque()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._changed = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._stopping = False

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        if self._runner is not None:
            return
        self._stop_event = asyncio.Event()
        self._stopping = False
        app = web.Application(middlewares=[self._middleware], client_max_size=MAX_REQUEST_BODY)
        app.on_response_prepare.append(self._on_response_prepare)
        for module in self.ROUTE_MODULES:
            module.register(self, app)
        for path in (
            "/v1/images/variations",
            "/v1/files",
            "/v1/files/{tail:.*}",
            "/v1/fine-tunes",
            "/v1/fine-tunes/{tail:.*}",
        ):
            app.router.add_route("*", path, self._not_implemented)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._stopping = True
        self._stop_event.set()  # releases held/delayed replies; they end without counting as disconnects
        runner, self._runner = self._runner, None
        await runner.cleanup()
        self._notify()

    async def __aenter__(self) -> FakeWenwen:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeWenwen is not started")
        return f"http://127.0.0.1:{self._port}"

    # ----------------------------------------------------------------- scripting
    def script(self, *replies: Reply) -> None:
        """Queue answers for /v1/chat/completions, /v1/responses and /v1/messages (one FIFO
        shared by the three formats, one per valid request)."""
        self.chat_replies.extend(replies)

    def script_models_error(self, status: int, message: str) -> None:
        """The next GET /v1/models (one per call, FIFO) answers this gateway error."""
        self.models_errors.append((status, message))

    def model_ids(self) -> set[str]:
        return {str(m["id"]) for m in self.models}

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until ``predicate()`` is truthy; re-checked on every request start/finish,
        stream open/close and disconnect. Raises TimeoutError."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    changed = self._changed
                    if predicate():
                        return
                    await changed.wait()
        except TimeoutError:
            raise TimeoutError(f"FakeWenwen.wait_for: condition not met within {timeout}s") from None

    # ------------------------------------------------- helpers for route modules
    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def note_stream_open(self) -> None:
        self.streams_open += 1
        self._notify()

    def note_stream_closed(self) -> None:
        self.streams_open -= 1
        self._notify()

    def note_disconnect(self) -> None:
        if not self._stopping:
            self.disconnects += 1
            self._notify()

    async def sleep(self, seconds: float) -> None:
        """A scripted delay; raises ServerStopping if the fake is stopped meanwhile."""
        if seconds <= 0:
            return
        try:
            async with asyncio.timeout(seconds):
                await self._stop_event.wait()
        except TimeoutError:
            return
        raise ServerStopping

    async def wait_event(self, event: asyncio.Event) -> None:
        """Wait for a test-controlled event; raises ServerStopping if the fake is stopped meanwhile."""
        if event.is_set():
            return
        waiter = asyncio.ensure_future(event.wait())
        stopper = asyncio.ensure_future(self._stop_event.wait())
        try:
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            stopper.cancel()
        if not event.is_set():
            raise ServerStopping

    # ---------------------------------------------------------------- middleware
    async def _on_response_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        rid = request.get(REQUEST_ID_KEY)
        if rid is not None:
            response.headers[REQUEST_ID_HEADER] = rid

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        rid = new_request_id()
        request[REQUEST_ID_KEY] = rid
        too_large = False
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            body, too_large = b"", True
        request[BODY_KEY] = body
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=Headers(request.headers.items()),
            body=body,
            json=maybe_json(body),
            time=time.monotonic(),
            request_id=rid,
            too_large=too_large,
        )
        request[RECORDED_KEY] = recorded
        self.requests.append(recorded)
        self._notify()
        try:
            match = request.match_info
            if match.http_exception is not None:
                return not_found(request)
            if not getattr(match.handler, PUBLIC_ATTR, False):
                self._authenticate(request)
            if too_large:
                raise relay_error(request, 413, "request body too large", code="read_request_body_failed")
            return await handler(request)
        except GatewayError as exc:
            return exc.response
        finally:
            self._notify()

    def _authenticate(self, request: web.Request) -> None:
        """``middleware.TokenAuth`` (docs/protocols.md, "Gateway: authentication"); raises GatewayError on failure."""
        headers, path = request.headers, request.path
        auth = headers.get("Authorization", "")
        if ("/v1/messages" in path or "/v1/models" in path) and headers.get("x-api-key"):
            auth = "Bearer " + headers["x-api-key"]
        if path.startswith(("/v1/models", "/v1beta/models", "/v1beta/openai/models")):
            google = request.query.get("key") or headers.get("x-goog-api-key")
            if google:
                auth = "Bearer " + google
        key = _strip_bearer(auth)
        if key in ("", "midjourney-proxy"):
            key = _strip_bearer(headers.get("mj-api-secret", ""))
        key = key.removeprefix("sk-")
        expected = self.api_key.removeprefix("sk-")
        if key == "":
            raise abort_openai(request, 401, "未提供令牌")
        if key == expected:
            return
        # sk-<token>-<channel>: a channel pin, admin-only. (A configured key that itself contains
        # "-" is compared whole — real new-api keys never do.)
        if "-" not in expected and key.split("-")[0] == expected:
            raise abort_openai(request, 403, "普通用户不支持指定渠道")
        raise abort_openai(request, 401, "无效的令牌")

    async def _not_implemented(self, request: web.Request) -> web.StreamResponse:
        return not_implemented()
