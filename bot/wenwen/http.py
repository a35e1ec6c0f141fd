"""The gateway transport shared by every endpoint family: auth, timeouts, safe retries, downloads."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TypedDict, TypeVar, Unpack

import httpx

from .errors import ErrorKind, WenwenError, WenwenNetworkError, error_from_response
from .public_fetch import Origin, PublicFetcher
from .streaming import GatewayStreams, StreamedAnswer

log = logging.getLogger("bot.wenwen")
T = TypeVar("T")

REQUEST_ID_HEADER = "x-oneapi-request-id"
# Backoff before retry n (seconds). No retry starts once RETRY_BUDGET seconds have passed, so a
# gateway that keeps failing is reported within about 10 s.
BACKOFF = (0.5, 1.5, 3.0, 5.0, 5.0)
RETRY_BUDGET = 10.0
# Errors raised before the request could have reached the gateway: safe to send again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class GatewayOptions(TypedDict, total=False):
    """`GatewayHttp`'s keyword options, for the clients that make one."""

    connect_timeout: float
    read_timeout: float
    retries: int
    transport: httpx.AsyncBaseTransport | None
    sleep: Callable[[float], Awaitable[None]]
    on_error: Callable[[WenwenError], None] | None


class RequestOptions(TypedDict, total=False):
    """`GatewayHttp.request`'s keyword options, which `request_json` passes on."""

    json: Any
    files: Any
    data: dict[str, Any] | None
    retry_server_errors: bool
    error_parser: Callable[[int, bytes, Any], WenwenError]


class GatewayHttp:
    """One pooled `httpx.AsyncClient` for the process (streamed answers: aiohttp, `streaming.py`).

    Bearer auth (docs/protocols.md, "Gateway: authentication")."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
        retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_error: Callable[[WenwenError], None] | None = None,
    ) -> None:
        self.retries = retries
        self._on_error = on_error  # told of every failed attempt (metrics); never changes what happens
        self._sleep = sleep
        self._key_refusal_logged = False
        self._api_key = api_key
        self._origin = Origin.of(base_url)
        # Links from anywhere but the gateway (model answers, upstream CDNs) go through the SSRF guard, keyless
        self.public = PublicFetcher(base_url, connect_timeout=connect_timeout, read_timeout=min(read_timeout, 60.0))
        self.streams = GatewayStreams(base_url, api_key, connect_timeout=connect_timeout, read_timeout=read_timeout)
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "wenwen-bot/0.1"},
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.streams.aclose()
        await self.client.aclose()
        await self.public.aclose()

    def anthropic_auth(self) -> dict[str, str]:
        """`x-api-key`, the Anthropic way (accepted on /v1/messages; docs/protocols.md, "Gateway: authentication")."""
        return {"x-api-key": self._api_key}

    async def with_retries(self, attempt: Callable[[], Awaitable[T]], *, retries: int | None = None) -> T:
        """Retry only what is safe: unsent requests, 429 and 5xx before any answer byte arrived."""
        allowed = self.retries if retries is None else retries
        started = time.monotonic()
        for number in range(allowed + 1):
            try:
                return await attempt()
            except WenwenError as error:
                self._note_key_refusal(error)
                if self._on_error is not None:
                    self._on_error(error)
                wait = BACKOFF[min(number, len(BACKOFF) - 1)]
                out_of_time = time.monotonic() - started + wait > RETRY_BUDGET
                if not error.retryable or number >= allowed or out_of_time:
                    raise
                log.warning("wenwen call failed (%s), retry %d/%d", error, number + 1, allowed)
            await self._sleep(wait)
        raise AssertionError("unreachable")

    def _note_key_refusal(self, error: WenwenError) -> None:
        """The owner must hear it once, plainly, when the gateway refuses WENWEN_API_KEY (users are told too)."""
        if error.kind == ErrorKind.INVALID_KEY and not self._key_refusal_logged:
            self._key_refusal_logged = True
            log.error(
                "the gateway refused WENWEN_API_KEY (%s): check the key in the wenwen console; "
                "every request will fail until it is fixed",
                error,
            )

    @staticmethod
    def network_error(error: httpx.HTTPError) -> WenwenNetworkError:
        """Retryable only if the request cannot have reached the gateway (it may be running and billed)."""
        # str(error) of httpx never carries our headers; the URL has no secret in it.
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return WenwenNetworkError(text, sent=not isinstance(error, _NOT_SENT))

    async def send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            return await self.client.send(request, stream=stream)
        except httpx.TransportError as error:
            raise self.network_error(error) from None

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        files: Any = None,
        data: dict[str, Any] | None = None,
        retry_server_errors: bool = True,
        error_parser: Callable[[int, bytes, Any], WenwenError] = error_from_response,
    ) -> httpx.Response:
        """A request whose non-2xx answers raise typed errors.

        With retry_server_errors=False only requests that never left are sent again — for calls
        that start something paid (a Midjourney submit, a transcription, an image) and must happen
        at most once.
        """

        async def attempt() -> httpx.Response:
            request = self.client.build_request(method, path, json=json, files=files, data=data)
            response = await self.send(request)
            if not 200 <= response.status_code < 300:
                error = error_parser(response.status_code, response.content, response.headers)
                if not retry_server_errors:
                    error.retryable_override = False
                raise error
            return response

        return await self.with_retries(attempt)

    async def request_json(
        self, method: str, path: str, **options: Unpack[RequestOptions]
    ) -> tuple[Any, httpx.Headers]:
        """`request`, with the body parsed as JSON (a non-JSON success body is an upstream error)."""
        response = await self.request(method, path, **options)
        try:
            return response.json(), response.headers
        except ValueError:
            error_parser = options.get("error_parser", error_from_response)
            raise error_parser(502, response.content, response.headers) from None

    @asynccontextmanager
    async def open_stream(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> AsyncIterator[StreamedAnswer]:
        """Open a streaming POST (on aiohttp, `streaming.py`), retrying while nothing of the answer has arrived."""
        async with AsyncExitStack() as stack:

            async def attempt() -> StreamedAnswer:
                opened = self.streams.open(path, body, {"Accept": "text/event-stream", **(headers or {})})
                return await stack.enter_async_context(opened)

            yield await self.with_retries(attempt)

    async def download(self, url: str, *, max_bytes: int, deadline: float = 120.0) -> tuple[bytes, str]:
        """Fetch a file by absolute URL (result images); the key goes only to the gateway's own origin.

        Anything else is fetched without the key and only from public addresses (`PublicFetcher`).
        """
        if Origin.of(url) != self._origin:
            return await self.public.fetch(url, max_bytes=max_bytes, deadline=deadline)
        request = self.client.build_request("GET", url)

        async def attempt() -> tuple[bytes, str]:
            response = await self.send(request, stream=True)
            try:
                if response.status_code != 200:
                    raise error_from_response(response.status_code, await response.aread(), response.headers)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise WenwenError(f"file larger than {max_bytes} bytes", status=413)
                    chunks.append(chunk)
                return b"".join(chunks), response.headers.get("content-type", "application/octet-stream")
            except httpx.TransportError as error:
                raise self.network_error(error) from None
            finally:
                await response.aclose()

        return await self.with_retries(attempt)
