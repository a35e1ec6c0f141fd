"""The three chat formats of the gateway: request bodies and stream parsers with one event vocabulary."""

from __future__ import annotations

from typing import Any, Protocol

from ..types import ChatRequest, StreamEvent
from . import chat, messages, responses


class StreamParser(Protocol):
    request_id: str | None  # set by the client once the response headers are in

    @property
    def finished(self) -> bool: ...

    def feed(self, event: str, data: str) -> list[StreamEvent]: ...

    def close(self) -> list[StreamEvent]: ...


def request_for(request: ChatRequest) -> tuple[str, dict[str, Any], dict[str, str], StreamParser]:
    """(path, streaming body, extra headers, parser) for the request's format."""
    if request.api_format == "responses":
        return "/v1/responses", responses.body(request), {}, responses.Parser()
    if request.api_format == "messages":
        return "/v1/messages", messages.body(request), messages.headers(request), messages.Parser()
    return "/v1/chat/completions", request.to_wire(stream=True), {}, chat.Parser()
