"""OpenAI Responses (docs/protocols.md, "Gateway: Responses"): full history as input items, events → one vocabulary.

`previous_response_id` is never used: the gateway may route the next call to an upstream that
never stored the response.
"""

from __future__ import annotations

from typing import Any

from ..errors import WenwenStreamError, WenwenTruncatedError, classify
from ..types import (
    ChatMessage,
    ChatRequest,
    Citation,
    Finish,
    ReasoningDelta,
    ServerToolActivity,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallRequested,
    UsageReport,
)
from .common import load, text_of


def _user_content(content: str | list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """Plain text stays a string (servers behind some proxies fail on parts); parts only with images."""
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for part in content:
        if part.get("type") == "image_url":
            parts.append({"type": "input_image", "image_url": part["image_url"]["url"]})
        else:
            parts.append({"type": "input_text", "text": part.get("text", "")})
    return parts


def _items(message: ChatMessage) -> list[dict[str, Any]]:
    if message.role == "user":
        return [{"role": "user", "content": _user_content(message.content)}]
    if message.role == "tool":
        return [{"type": "function_call_output", "call_id": message.tool_call_id, "output": text_of(message.content)}]
    items: list[dict[str, Any]] = []
    if text_of(message.content):
        items.append({"role": "assistant", "content": text_of(message.content)})
    for call in message.tool_calls:
        items.append({"type": "function_call", "call_id": call.id, "name": call.name, "arguments": call.arguments})
    return items


def body(request: ChatRequest) -> dict[str, Any]:
    instructions = "\n\n".join(text_of(m.content) for m in request.messages if m.role == "system")
    wire: dict[str, Any] = {
        "model": request.model,
        "input": [item for m in request.messages if m.role != "system" for item in _items(m)],
        "stream": True,
        "store": False,
    }
    if instructions:
        wire["instructions"] = instructions
    if request.max_tokens:
        wire["max_output_tokens"] = request.max_tokens
    tools: list[dict[str, Any]] = [
        {"type": "function", "name": t.name, "description": t.description, "parameters": t.parameters}
        for t in request.tools
    ]
    if request.web_search:
        tools.append({"type": "web_search_preview"})
    if tools:
        wire["tools"] = tools
    if request.reasoning_effort:
        wire["reasoning"] = {"effort": request.reasoning_effort, "summary": "auto"}
    return wire


class Parser:
    def __init__(self) -> None:
        self.request_id: str | None = None
        self._finish: str | None = None
        self._calls: dict[str, dict[str, str]] = {}
        self._cited: set[str] = set()

    def feed(self, event: str, data: str) -> list[StreamEvent]:
        raw = load(data, self.request_id)
        if raw is None:
            return []
        kind = raw.get("type") or event
        if kind == "response.output_text.delta":
            return [TextDelta(str(raw.get("delta") or ""))] if raw.get("delta") else []
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            return [ReasoningDelta(str(raw.get("delta") or ""))] if raw.get("delta") else []
        if kind == "response.output_text.annotation.added":
            return self._citations([raw.get("annotation") or {}])
        if kind in ("response.output_item.added", "response.output_item.done"):
            return self._item(raw.get("item") or {}, done=kind.endswith("done"))
        if kind == "response.function_call_arguments.delta":
            slot = self._calls.get(str(raw.get("item_id")))
            if slot is not None:
                slot["arguments"] += str(raw.get("delta") or "")
            return []
        if kind in ("response.completed", "response.incomplete"):
            return self._completed(raw.get("response") or {}, kind)
        if kind in ("error", "response.failed"):
            raise self._error(raw)
        return []

    def _item(self, item: dict[str, Any], *, done: bool) -> list[StreamEvent]:
        if item.get("type") == "function_call":
            slot = self._calls.setdefault(str(item.get("id")), {"call_id": "", "name": "", "arguments": ""})
            slot["call_id"] = str(item.get("call_id") or slot["call_id"])
            slot["name"] = str(item.get("name") or slot["name"])
            if done and item.get("arguments") is not None:
                slot["arguments"] = str(item["arguments"])
        if item.get("type") == "web_search_call" and done:
            query = str((item.get("action") or {}).get("query") or "")
            return [ServerToolActivity("web_search", query)]
        return []

    def _citations(self, annotations: list[dict[str, Any]]) -> list[StreamEvent]:
        found: list[StreamEvent] = []
        for annotation in annotations:
            url = str(annotation.get("url") or "")
            if annotation.get("type") == "url_citation" and url and url not in self._cited:
                self._cited.add(url)
                found.append(Citation(url, str(annotation.get("title") or url)))
        return found

    def _completed(self, response: dict[str, Any], kind: str) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for item in response.get("output") or []:
            for part in item.get("content") or [] if isinstance(item, dict) else []:
                events.extend(self._citations(part.get("annotations") or []))
        usage = response.get("usage") or {}
        if usage:
            events.append(UsageReport(int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)))
        self._finish = "length" if kind == "response.incomplete" else ("tool_calls" if self._calls else "stop")
        return events

    def _error(self, raw: dict[str, Any]) -> WenwenStreamError:
        error = (raw.get("response") or {}).get("error") or raw.get("error") or raw
        message = str(error.get("message") or "the response failed") if isinstance(error, dict) else str(error)
        code = str(error.get("code")) if isinstance(error, dict) and error.get("code") else None
        return WenwenStreamError(message, request_id=self.request_id, code=code, kind=classify(None, message, code))

    def close(self) -> list[StreamEvent]:
        if self._finish is None:
            raise WenwenTruncatedError(
                "the response stream ended before response.completed", request_id=self.request_id
            )
        calls: list[StreamEvent] = [
            ToolCallRequested(ToolCall(c["call_id"] or item_id, c["name"], c["arguments"] or "{}"))
            for item_id, c in self._calls.items()
            if c["name"]
        ]
        return [*calls, Finish(self._finish, self.request_id)]

    @property
    def finished(self) -> bool:
        return self._finish is not None
