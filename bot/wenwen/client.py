"""The HTTP client for the wenwen gateway. Knows nothing of Telegram or SQLite."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
from httpx_sse import EventSource
from pydantic import ValidationError

from .errors import WenwenStreamError, WenwenTruncatedError, error_from_stream_object
from .http import REQUEST_ID_HEADER, GatewayHttp
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


class WenwenClient:
    """Chat endpoints of the gateway. `http` (the shared transport) serves the other endpoint families."""

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
    ) -> None:
        self.http = GatewayHttp(
            base_url,
            api_key,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries=retries,
            transport=transport,
            sleep=sleep,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def list_models(self) -> list[ModelInfo]:
        """`GET /v1/models` (the OpenAI-shaped list for Bearer auth, §8.1)."""
        body, _ = await self.http.request_json("GET", "/v1/models")
        return ModelList.model_validate(body).data

    async def chat(self, request: ChatRequest) -> ChatCompletion:
        """Non-streaming `POST /v1/chat/completions`."""
        body, headers = await self.http.request_json("POST", "/v1/chat/completions", json=request.to_wire(stream=False))
        if isinstance(body, dict) and "error" in body:
            raise error_from_stream_object(body, headers.get(REQUEST_ID_HEADER))
        return ChatCompletion.model_validate(body)

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Streaming chat completions as typed events (§3.3).

        Ends with `Finish`; raises `WenwenTruncatedError` when the stream ends without a
        finish_reason and `WenwenStreamError` when it carries an error object. Never retried
        once a byte of the answer has been received.
        """
        async with self.http.open_stream("/v1/chat/completions", request.to_wire(stream=True)) as response:
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
