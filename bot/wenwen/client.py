"""The HTTP client for the wenwen gateway. Knows nothing of Telegram or SQLite."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from httpx_sse import EventSource
from pydantic import ValidationError

from .errors import (
    WenwenError,
    WenwenNetworkError,
    WenwenStreamError,
    WenwenTruncatedError,
    error_from_response,
    error_from_stream_object,
)
from .types import (
    ChatChunk,
    ChatCompletion,
    ChatRequest,
    Finish,
    ModelInfo,
    ModelList,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    UsageReport,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

REQUEST_ID_HEADER = "x-oneapi-request-id"
# Backoff before retry n (seconds). No retry starts once RETRY_BUDGET seconds have passed, so a
# gateway that keeps failing is reported within about 10 s.
BACKOFF = (0.5, 1.5, 3.0, 5.0, 5.0)
RETRY_BUDGET = 10.0
# Errors raised before the request could have reached the gateway: safe to send again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class WenwenClient:
    """One pooled `httpx.AsyncClient` for the whole process; Bearer auth everywhere (§0.1)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 120.0,
        retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._retries = retries
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "wenwen-bot/0.1"},
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout, pool=connect_timeout),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ plumbing

    async def _with_retries(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Retry only what is safe: connect errors, 429 and 5xx before any answer byte arrived."""
        started = time.monotonic()
        for number in range(self._retries + 1):
            try:
                return await attempt()
            except WenwenError as error:
                wait = BACKOFF[min(number, len(BACKOFF) - 1)]
                out_of_time = time.monotonic() - started + wait > RETRY_BUDGET
                if not error.retryable or number >= self._retries or out_of_time:
                    raise
                log.warning("wenwen call failed (%s), retry %d/%d", error, number + 1, self._retries)
            await self._sleep(wait)
        raise AssertionError("unreachable")

    @staticmethod
    def _network_error(error: httpx.HTTPError) -> WenwenNetworkError:
        """Retryable only if the request cannot have reached the gateway (it may be running and billed)."""
        # str(error) of httpx never carries our headers; the URL has no secret in it.
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return WenwenNetworkError(text, sent=not isinstance(error, _NOT_SENT))

    async def _get_json(self, path: str) -> Any:
        async def attempt() -> Any:
            try:
                response = await self._http.get(path)
            except httpx.TransportError as error:
                raise self._network_error(error) from None
            if response.status_code != 200:
                raise error_from_response(response.status_code, response.content, response.headers)
            return response.json()

        return await self._with_retries(attempt)

    # ------------------------------------------------------------------ endpoints

    async def list_models(self) -> list[ModelInfo]:
        """`GET /v1/models` (the OpenAI-shaped list for Bearer auth, §8.1)."""
        return ModelList.model_validate(await self._get_json("/v1/models")).data

    async def chat(self, request: ChatRequest) -> ChatCompletion:
        """Non-streaming `POST /v1/chat/completions`."""

        async def attempt() -> ChatCompletion:
            try:
                response = await self._http.post("/v1/chat/completions", json=request.to_wire(stream=False))
            except httpx.TransportError as error:
                raise self._network_error(error) from None
            if response.status_code != 200:
                raise error_from_response(response.status_code, response.content, response.headers)
            body = response.json()
            if isinstance(body, dict) and "error" in body:
                raise error_from_stream_object(body, response.headers.get(REQUEST_ID_HEADER))
            return ChatCompletion.model_validate(body)

        return await self._with_retries(attempt)

    @asynccontextmanager
    async def _open_stream(self, path: str, body: dict[str, Any]) -> AsyncIterator[httpx.Response]:
        """Open a streaming POST, retrying while nothing of the answer has arrived yet."""

        async def attempt() -> httpx.Response:
            request = self._http.build_request("POST", path, json=body, headers={"Accept": "text/event-stream"})
            try:
                response = await self._http.send(request, stream=True)
            except httpx.TransportError as error:
                raise self._network_error(error) from None
            if response.status_code != 200:
                try:
                    content = await response.aread()
                except httpx.HTTPError:
                    content = b""
                finally:
                    await response.aclose()
                raise error_from_response(response.status_code, content, response.headers)
            return response

        response = await self._with_retries(attempt)
        try:
            yield response
        finally:
            await response.aclose()

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Streaming chat completions as typed events (§3.3).

        Ends with `Finish`; raises `WenwenTruncatedError` when the stream ends without a
        finish_reason and `WenwenStreamError` when it carries an error object. Never retried
        once a byte of the answer has been received.
        """
        async with self._open_stream("/v1/chat/completions", request.to_wire(stream=True)) as response:
            request_id = response.headers.get(REQUEST_ID_HEADER)
            if "text/event-stream" not in response.headers.get("content-type", ""):
                # Some upstreams ignore "stream": answer a whole completion instead.
                async for event in self._events_from_whole_body(response, request_id):
                    yield event
                return
            finish: str | None = None
            try:
                async for sse in EventSource(response).aiter_sse():
                    if sse.data == "[DONE]":
                        break
                    if not sse.data:
                        continue
                    for event in _chunk_events(sse.data, request_id):
                        if isinstance(event, Finish):
                            finish = event.reason
                        else:
                            yield event
            except httpx.TransportError as error:
                if finish is not None:  # the answer was complete; only the trailer was lost
                    yield Finish(finish, request_id)
                    return
                raise WenwenTruncatedError(
                    f"connection broke mid-answer ({type(error).__name__})", request_id=request_id
                ) from None
            if finish is None:
                raise WenwenTruncatedError("the answer stream ended without a finish reason", request_id=request_id)
            yield Finish(finish, request_id)

    async def _events_from_whole_body(
        self, response: httpx.Response, request_id: str | None
    ) -> AsyncIterator[StreamEvent]:
        body = json.loads(await response.aread())
        if isinstance(body, dict) and "error" in body:
            raise error_from_stream_object(body, request_id)
        completion = ChatCompletion.model_validate(body)
        if not completion.choices:
            raise WenwenTruncatedError("the gateway answered without choices", request_id=request_id)
        choice = completion.choices[0]
        reasoning = choice.message.reasoning_content or choice.message.reasoning
        if reasoning:
            yield ReasoningDelta(reasoning)
        if choice.message.content:
            yield TextDelta(choice.message.content)
        if completion.usage:
            yield UsageReport(completion.usage.prompt_tokens, completion.usage.completion_tokens)
        yield Finish(choice.finish_reason or "stop", request_id)


def _chunk_events(data: str, request_id: str | None) -> list[StreamEvent]:
    """Events of one `data:` frame of a chat-completions stream."""
    try:
        raw = json.loads(data)
    except ValueError:
        log.warning("ignoring a non-JSON stream frame (%d bytes)", len(data))
        return []
    if isinstance(raw, dict) and raw.get("error"):
        raise error_from_stream_object(raw, request_id)
    try:
        chunk = ChatChunk.model_validate(raw)
    except ValidationError:
        raise WenwenStreamError("the gateway sent a malformed stream frame", request_id=request_id) from None
    events: list[StreamEvent] = []
    for choice in chunk.choices[:1]:
        delta = choice.delta
        reasoning = delta.reasoning_content or delta.reasoning
        if reasoning:
            events.append(ReasoningDelta(reasoning))
        if delta.content:
            events.append(TextDelta(delta.content))
        if choice.finish_reason:
            events.append(Finish(choice.finish_reason, request_id))
    if chunk.usage and (chunk.usage.prompt_tokens or chunk.usage.completion_tokens):
        events.append(UsageReport(chunk.usage.prompt_tokens, chunk.usage.completion_tokens))
    return events
