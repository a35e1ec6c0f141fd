"""Chat completions streams (docs/protocols.md, "Gateway: chat completions"): content, reasoning, tool-call deltas."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError

from ..errors import WenwenTruncatedError, error_from_stream_object
from ..types import (
    ChatChunk,
    Finish,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallRequested,
    UsageReport,
)
from .common import load, malformed

log = logging.getLogger(__name__)


class Parser:
    """Tool-call fragments arrive by index: the first carries id and name, later ones argument pieces."""

    def __init__(self) -> None:
        self.request_id: str | None = None
        self._finish: str | None = None
        self._calls: dict[int, dict[str, str]] = {}

    def feed(self, event: str, data: str) -> list[StreamEvent]:
        if data == "[DONE]" or not data:
            return []
        raw = load(data, self.request_id)
        if raw is None:
            log.warning("ignoring a non-JSON stream frame (%d bytes)", len(data))
            return []
        if raw.get("error"):
            raise error_from_stream_object(raw, self.request_id)
        try:
            chunk = ChatChunk.model_validate(raw)
        except ValidationError:
            raise malformed(self.request_id) from None
        events: list[StreamEvent] = []
        for choice in chunk.choices[:1]:
            delta = choice.delta
            reasoning = delta.reasoning_content or delta.reasoning
            if reasoning:
                events.append(ReasoningDelta(reasoning))
            if delta.content:
                events.append(TextDelta(delta.content))
            for fragment in (raw["choices"][0].get("delta") or {}).get("tool_calls") or []:
                self._add_fragment(fragment)
            if choice.finish_reason:
                self._finish = choice.finish_reason
        if chunk.usage and (chunk.usage.prompt_tokens or chunk.usage.completion_tokens):
            events.append(UsageReport(chunk.usage.prompt_tokens, chunk.usage.completion_tokens))
        return events

    def _add_fragment(self, fragment: dict[str, Any]) -> None:
        slot = self._calls.setdefault(int(fragment.get("index") or 0), {"id": "", "name": "", "arguments": ""})
        function = fragment.get("function") or {}
        slot["id"] = fragment.get("id") or slot["id"]
        slot["name"] = function.get("name") or slot["name"]
        slot["arguments"] += function.get("arguments") or ""

    def close(self) -> list[StreamEvent]:
        if self._finish is None:
            raise WenwenTruncatedError("the answer stream ended without a finish reason", request_id=self.request_id)
        calls: list[StreamEvent] = [
            ToolCallRequested(ToolCall(c["id"] or f"call_{i}", c["name"], c["arguments"] or "{}"))
            for i, c in sorted(self._calls.items())
            if c["name"]
        ]
        return [*calls, Finish(self._finish, self.request_id)]

    @property
    def finished(self) -> bool:
        return self._finish is not None
