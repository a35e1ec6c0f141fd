"""Anthropic messages (docs/protocols.md, "Gateway: Anthropic messages"): thinking, tool use, remote MCP servers."""

from __future__ import annotations

import json
from typing import Any

from ..errors import WenwenStreamError, WenwenTruncatedError, classify
from ..types import (
    ChatMessage,
    ChatRequest,
    Finish,
    ReasoningDelta,
    ServerToolActivity,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallRequested,
    UsageReport,
)
from .common import load, split_data_url, text_of

ANTHROPIC_VERSION = "2023-06-01"
MCP_BETA = "mcp-client-2025-04-04"
DEFAULT_MAX_TOKENS = 4096


def _blocks(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict[str, Any]] = []
    for part in content:
        if part.get("type") == "image_url":
            split = split_data_url(part["image_url"]["url"])
            if split:
                media_type, data = split
                blocks.append({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}})
            else:
                blocks.append({"type": "image", "source": {"type": "url", "url": part["image_url"]["url"]}})
        elif part.get("text"):
            blocks.append({"type": "text", "text": part["text"]})
    return blocks


def _message(message: ChatMessage) -> dict[str, Any]:
    """Plain text stays a string (some servers behind Anthropic-format proxies fail on blocks); blocks only
    for images and tool data."""
    if message.role == "tool":
        result = {"type": "tool_result", "tool_use_id": message.tool_call_id, "content": text_of(message.content)}
        return {"role": "user", "content": [result]}
    if isinstance(message.content, str) and not message.tool_calls:
        return {"role": message.role, "content": message.content}
    blocks = _blocks(message.content)
    for call in message.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.parsed_arguments()})
    return {"role": message.role, "content": blocks}


def _as_blocks(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return _blocks(content) if isinstance(content, str) else content


def _merged(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Anthropic wants user/assistant alternation: tool results join the user turn they belong to."""
    merged: list[dict[str, Any]] = []
    for message in messages:
        if merged and merged[-1]["role"] == message["role"]:
            previous = merged[-1]["content"]
            if isinstance(previous, str) and isinstance(message["content"], str):
                content: str | list[dict[str, Any]] = f"{previous}\n\n{message['content']}"
            else:
                content = _as_blocks(previous) + _as_blocks(message["content"])
            merged[-1] = {"role": message["role"], "content": content}
        else:
            merged.append(message)
    return merged


def body(request: ChatRequest) -> dict[str, Any]:
    system = "\n\n".join(text_of(m.content) for m in request.messages if m.role == "system")
    max_tokens = request.max_tokens or DEFAULT_MAX_TOKENS
    wire: dict[str, Any] = {
        "model": request.model,
        "max_tokens": max_tokens,
        "stream": True,
        "messages": _merged([_message(m) for m in request.messages if m.role != "system"]),
    }
    caching = request.model.lower().startswith("claude")  # cache breakpoints are Anthropic's own feature
    if system:
        wire["system"] = [{"type": "text", "text": system, "cache_control": CACHE}] if caching else system
    if caching:
        _mark_cached_prefix(wire["messages"])
    if request.thinking_budget:
        budget = max(1024, request.thinking_budget)
        wire["max_tokens"] = max(max_tokens, budget + 1024)  # the budget must stay below max_tokens
        wire["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if request.tools:
        wire["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in request.tools
        ]
    if request.mcp_servers:
        wire["mcp_servers"] = [server.to_wire() for server in request.mcp_servers]
    return wire


CACHE = {"type": "ephemeral"}


def _mark_cached_prefix(messages: list[dict[str, Any]]) -> None:
    """Prompt caching: the history before the newest question is resent verbatim every turn, so it is
    marked as a cache breakpoint (Anthropic ignores the mark below its minimum prompt length)."""
    if len(messages) >= 3 and messages[-2]["content"]:
        blocks = _as_blocks(messages[-2]["content"])
        blocks[-1] = {**blocks[-1], "cache_control": CACHE}
        messages[-2]["content"] = blocks


def headers(request: ChatRequest) -> dict[str, str]:
    extra = {"anthropic-version": ANTHROPIC_VERSION}
    if request.mcp_servers:
        extra["anthropic-beta"] = MCP_BETA
    return extra


def _tokens(usage: dict[str, Any], name: str) -> int:
    """A token count as any gateway reports it (int, float, numeric string; cache reads count as prompt)."""
    total = 0
    for key in (name, "cache_read_input_tokens", "cache_creation_input_tokens") if name == "input_tokens" else (name,):
        try:
            total += int(float(usage.get(key) or 0))
        except (TypeError, ValueError):
            continue
    return total


class Parser:
    def __init__(self) -> None:
        self.request_id: str | None = None
        self._stop: str | None = None
        self._blocks: dict[int, dict[str, Any]] = {}
        self._calls: list[ToolCall] = []
        self._input_tokens = 0

    def feed(self, event: str, data: str) -> list[StreamEvent]:
        raw = load(data, self.request_id)
        if raw is None:
            return []
        kind = raw.get("type") or event
        if kind == "message_start":
            usage = (raw.get("message") or {}).get("usage") or {}
            self._input_tokens = _tokens(usage, "input_tokens")
        elif kind == "content_block_start":
            return self._start(int(raw.get("index") or 0), raw.get("content_block") or {})
        elif kind == "content_block_delta":
            return self._delta(int(raw.get("index") or 0), raw.get("delta") or {})
        elif kind == "content_block_stop":
            return self._stop_block(int(raw.get("index") or 0))
        elif kind == "message_delta":
            delta = raw.get("delta") or {}
            self._stop = str(delta.get("stop_reason") or self._stop or "end_turn")
            usage = raw.get("usage") or {}
            if usage:
                # Some gateways send input_tokens 0 in message_start and the real count here: take the largest.
                prompt = max(self._input_tokens, _tokens(usage, "input_tokens"))
                return [UsageReport(prompt, _tokens(usage, "output_tokens"))]
        elif kind == "message_stop":
            self._stop = self._stop or "end_turn"
        elif kind == "error":
            error = raw.get("error") or {}
            message = str(error.get("message") or "upstream error")
            code = str(error.get("type") or "") or None
            raise WenwenStreamError(message, request_id=self.request_id, code=code, kind=classify(None, message, code))
        return []

    def _start(self, index: int, block: dict[str, Any]) -> list[StreamEvent]:
        self._blocks[index] = {**block, "partial_json": ""}
        kind = block.get("type")
        if kind == "text" and block.get("text"):
            return [TextDelta(str(block["text"]))]
        if kind == "thinking" and block.get("thinking"):
            return [ReasoningDelta(str(block["thinking"]))]
        if kind == "mcp_tool_result":
            content = block.get("content") or []
            text = " ".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
            mark = "⚠️ " if block.get("is_error") else ""
            return [ServerToolActivity("mcp_result", f"{mark}{text}".strip())]
        return []

    def _delta(self, index: int, delta: dict[str, Any]) -> list[StreamEvent]:
        kind = delta.get("type")
        if kind == "text_delta":
            return [TextDelta(str(delta.get("text") or ""))]
        if kind == "thinking_delta":
            return [ReasoningDelta(str(delta.get("thinking") or ""))]
        if kind == "input_json_delta" and index in self._blocks:
            self._blocks[index]["partial_json"] += str(delta.get("partial_json") or "")
        return []  # signature_delta: nothing to show (thinking blocks are not sent back)

    def _stop_block(self, index: int) -> list[StreamEvent]:
        block = self._blocks.get(index) or {}
        arguments = block.get("partial_json") or json.dumps(block.get("input") or {})
        if block.get("type") == "tool_use":
            self._calls.append(ToolCall(str(block.get("id")), str(block.get("name")), arguments))
        if block.get("type") == "mcp_tool_use":
            server = block.get("server_name") or ""
            return [ServerToolActivity("mcp_call", f"{server}.{block.get('name')}({arguments})".lstrip("."))]
        return []

    def close(self) -> list[StreamEvent]:
        if self._stop is None:
            raise WenwenTruncatedError("the message stream ended without a stop reason", request_id=self.request_id)
        finish = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length"}.get(self._stop, self._stop)
        return [*(ToolCallRequested(call) for call in self._calls), Finish(finish, self.request_id)]

    @property
    def finished(self) -> bool:
        return self._stop is not None
