"""Helpers shared by the three chat formats (chat completions, Responses, Anthropic messages):
scripted tool calls, ids, token estimates and the finish reason of a :class:`chat.Reply`."""

from __future__ import annotations

import json
import secrets
import string
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chat import Reply

_ALNUM = string.ascii_letters + string.digits


def random_id(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def tokens(text: str) -> int:
    """The fake's token estimate: one token per 4 characters, rounded up."""
    return -(-len(text) // 4)


def tool_arguments(call: dict[str, Any]) -> str:
    """The arguments of a scripted tool call as the JSON text a model streams."""
    arguments = call.get("arguments", {})
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))


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
