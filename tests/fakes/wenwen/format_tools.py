"""Helpers shared by the three chat formats (chat completions, Responses, Anthropic messages):
scripted tool calls, ids, token estimates and the finish reason of a :class:`format_sse.Reply`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .errors import compact_json, random_id

if TYPE_CHECKING:
    from .format_sse import Reply


def tokens(text: str) -> int:
    """The fake's token estimate: one token per 4 characters, rounded up."""
    return -(-len(text) // 4)


def tool_arguments(call: dict[str, Any]) -> str:
    """The arguments of a scripted tool call as the JSON text a model streams."""
    arguments = call.get("arguments", {})
    if isinstance(arguments, str):
        return arguments
    return compact_json(arguments)


def tool_input(call: dict[str, Any]) -> Any:
    """The arguments as a JSON value (Anthropic ``input``)."""
    arguments = call.get("arguments", {})
    if isinstance(arguments, str):
        try:
            return json.loads(arguments) if arguments else {}
        except ValueError:
            return {}
    return arguments


def tool_call_id(call: dict[str, Any], prefix: str) -> str:
    """The call's scripted ``id`` or a fresh one: ``call_`` + 24 characters (OpenAI),
    ``toolu_01`` / ``mcptoolu_01`` + 22 (Anthropic)."""
    scripted = call.get("id")
    if isinstance(scripted, str) and scripted:
        return scripted
    return prefix + random_id(24 if prefix == "call_" else 22)


def tools_tokens(reply: Reply) -> int:
    return sum(tokens(call.get("name", "") + tool_arguments(call)) for call in reply.tool_calls or [])


def output_tokens(reply: Reply) -> int:
    return tokens(reply.text) + tokens(reply.reasoning) + tools_tokens(reply)


def finish_reason_for(reply: Reply) -> str:
    """Chat completions' finish_reason: ``tool_calls`` when the reply calls tools (unless a
    reason other than the default ``stop`` was scripted)."""
    if reply.tool_calls and reply.finish_reason == "stop":
        return "tool_calls"
    return reply.finish_reason
