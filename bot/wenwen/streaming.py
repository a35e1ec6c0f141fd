"""Streamed answers from the gateway, on aiohttp: the one request of every turn.

httpx + httpx-sse cost about 9 ms of CPU per 30-chunk answer with 200 answers streaming at once, this
about 3.4 ms (`python -m benchmarks.gateway_stream`); at the busy hour that was a third of a turn's CPU.
Everything else the gateway does (images, audio, Midjourney, lists) is rare and stays on httpx
(`http.py`). The event-stream framing is httpx-sse's own decoder (the `_decoders` module of the
pinned 0.4 series), fed with the body's chunks.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from httpx_sse import ServerSentEvent
from httpx_sse._decoders import SSEDecoder, SSELineDecoder

from .errors import WenwenNetworkError, WenwenStreamError, error_from_response

# One event's text, at most: an answer's events are small, but some models put a whole base64 image
# in one; past this the stream is refused rather than held in memory.
MAX_EVENT_CHARS = 48 * 1024 * 1024
MAX_BODY_BYTES = 48 * 1024 * 1024  # a whole answer sent instead of a stream, at most
MAX_ERROR_BYTES = 64 * 1024  # of an error answer's body: its message is at the start
# Not sent: the connection never opened (refused, unresolvable, no pooled connection in time).
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


class StreamBroken(Exception):
    """The connection failed after the answer began (`WenwenClient` decides if that cut the answer)."""


class StreamedAnswer:
    """A 200 answer being received: its headers, then its events or its whole body."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.headers: Mapping[str, str] = response.headers

    async def body(self) -> bytes:
        """The whole body (an upstream that ignored "stream"), refused past MAX_BODY_BYTES."""
        try:
            return await _read_at_most(self._response, MAX_BODY_BYTES, refuse=True)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise StreamBroken(type(error).__name__) from None

    async def events(self) -> AsyncIterator[ServerSentEvent]:
        """The server-sent events; `StreamBroken` if the connection fails before the body ends."""
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        lines, decoder = SSELineDecoder(), SSEDecoder()
        pending = 0  # characters of the event being received
        try:
            async for chunk in self._response.content.iter_any():
                for line in lines.decode(text.decode(chunk)):
                    pending += len(line)
                    if pending > MAX_EVENT_CHARS:
                        raise WenwenStreamError(f"an event of the answer is over {MAX_EVENT_CHARS} characters")
                    event = decoder.decode(line)
                    if event is not None:
                        pending = 0
                        yield event
        except (aiohttp.ClientError, TimeoutError) as error:
            raise StreamBroken(type(error).__name__) from None
        # A last event without its blank line is delivered (the spec drops it): some gateways end with a bare
        # "data: [DONE]\n", and that marker is what tells a whole answer from a cut one.
        for line in [*lines.decode(text.decode(b"", final=True)), *lines.flush(), ""]:
            event = decoder.decode(line)
            if event is not None:
                yield event


class GatewayStreams:
    """The pooled aiohttp session for streamed answers, made on first use (it needs the running loop)."""

    def __init__(self, base_url: str, api_key: str, *, connect_timeout: float, read_timeout: float) -> None:
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}", "User-Agent": "wenwen-bot/0.1"}
        # connect covers the wait for a pooled connection too; sock_read bounds the silence between chunks
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=connect_timeout, sock_connect=connect_timeout, sock_read=read_timeout
        )
        self._session: aiohttp.ClientSession | None = None

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=400, ttl_dns_cache=300),
                headers=self._headers,
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),  # no state between answers (a CDN's cookies are not kept)
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    @asynccontextmanager
    async def open(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> AsyncIterator[StreamedAnswer]:
        """POST `body`; a non-200 answer raises its typed error, a failed connection `WenwenNetworkError`."""
        session = self._open_session()
        try:
            response = await session.post(f"{self._base}{path}", json=body, headers=headers)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise _network_error(error) from None
        try:
            if response.status != 200:
                try:
                    content = await _read_at_most(response, MAX_ERROR_BYTES, refuse=False)
                except (aiohttp.ClientError, TimeoutError):
                    content = b""
                raise error_from_response(response.status, content, response.headers)
            yield StreamedAnswer(response)
        finally:
            if response.content.at_eof():
                response.release()  # read to its end: the connection goes back to the pool
            else:
                response.close()  # stopped or failed mid-answer: closing it tells the gateway to stop generating


async def _read_at_most(response: aiohttp.ClientResponse, limit: int, *, refuse: bool) -> bytes:
    """The body's first `limit` bytes; past them a WenwenStreamError (refuse) or just the start."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            if refuse:
                raise WenwenStreamError(f"the answer is over {limit} bytes")
            break
    return b"".join(chunks)[:limit]


def _network_error(error: Exception) -> WenwenNetworkError:
    """Retryable only if the request cannot have reached the gateway (it may be running and billed)."""
    # str() of aiohttp's errors names the host and port, never our headers
    text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return WenwenNetworkError(text, sent=not isinstance(error, _NOT_SENT))
