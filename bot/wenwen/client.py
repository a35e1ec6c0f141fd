"""The HTTP client for the wenwen gateway. Knows nothing of Telegram or SQLite."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Unpack

from .errors import WenwenStreamError, WenwenTruncatedError, error_from_stream_object
from .formats import request_for
from .http import REQUEST_ID_HEADER, GatewayHttp, GatewayOptions
from .streaming import StreamBroken, StreamedAnswer
from .types import (
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

    def __init__(self, base_url: str, api_key: str, **options: Unpack[GatewayOptions]) -> None:
        self.http = GatewayHttp(base_url, api_key, **options)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def list_models(self) -> list[ModelInfo]:
        """`GET /v1/models` (the OpenAI-shaped list for Bearer auth; docs/protocols.md, "Gateway: model list")."""
        body, _ = await self.http.request_json("GET", "/v1/models")
        return ModelList.model_validate(body).data

    async def chat(self, request: ChatRequest) -> ChatCompletion:
        """Non-streaming `POST /v1/chat/completions`."""
        body, headers = await self.http.request_json("POST", "/v1/chat/completions", json=request.to_wire(stream=False))
        if isinstance(body, dict) and "error" in body:
            raise error_from_stream_object(body, headers.get(REQUEST_ID_HEADER))
        return ChatCompletion.model_validate(body)

    async def chat_stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """The answer as typed events, in the format the request names (docs/protocols.md, "Gateway: SSE framing").

        Ends with `Finish`; raises `WenwenTruncatedError` when the stream ends before its format's
        end marker and `WenwenStreamError` when it carries an error. Never retried once a byte of
        the answer has been received.
        """
        path, body, headers, parser = request_for(request)
        if request.api_format == "messages":
            headers = {**headers, **self.http.anthropic_auth()}
        async with self.http.open_stream(path, body, headers) as response:
            request_id = response.headers.get(REQUEST_ID_HEADER)
            parser.request_id = request_id
            if "text/event-stream" not in response.headers.get("content-type", ""):
                if request.api_format != "chat":
                    raise WenwenStreamError("the gateway did not stream the answer", request_id=request_id)
                # Some upstreams ignore "stream": answer a whole completion instead.
                async for event in self._events_from_whole_body(response, request_id):
                    yield event
                return
            try:
                async for sse in response.events():
                    for event in parser.feed(sse.event, sse.data):
                        yield event
            except StreamBroken as error:
                if not parser.finished:
                    raise WenwenTruncatedError(
                        f"connection broke mid-answer ({error})", request_id=request_id
                    ) from None
            for event in parser.close():
                yield event

    async def _events_from_whole_body(
        self, response: StreamedAnswer, request_id: str | None
    ) -> AsyncIterator[StreamEvent]:
        try:
            body = json.loads(await response.body())
        except StreamBroken as error:
            raise WenwenTruncatedError(f"connection broke mid-answer ({error})", request_id=request_id) from None
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
