"""Checks of a ``POST /v1/messages`` body, Claude-shaped errors (docs/protocols.md, "Gateway: Anthropic messages").

Layers, in the order a request meets them:

1. the distributor (model) — OpenAI-shaped errors, see gateway.distribute;
2. new-api decodes the body into ``dto.ClaudeRequest`` (Go type errors) and checks
   ``field messages is required`` — ``NewError(err, invalid_request)``: **HTTP 500**
   ``{"type":"error","error":{"type":"new_api_error","message":"… (request id: …)"}}``;
3. the upstream (Anthropic) — **HTTP 400** ``invalid_request_error`` with Anthropic's messages
   (``max_tokens: Field required``, role alternation, block shapes, tool_use/tool_result pairing,
   thinking budget, unknown tool types, ``mcp_servers`` without the MCP beta header…), passed
   through by new-api with `` (request id: …)`` appended.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aiohttp import web

from .errors import GatewayError, json_response, request_id_of, with_request_id
from .gateway import go_type, integer_error, messages_error, stream_error, unmarshal_error

MCP_BETA = "mcp-client-2025-04-04"
IMAGE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
BLOCK_TYPES = (
    "text",
    "image",
    "document",
    "search_result",
    "thinking",
    "redacted_thinking",
    "tool_use",
    "tool_result",
    "server_tool_use",
    "web_search_tool_result",
    "mcp_tool_use",
    "mcp_tool_result",
    "container_upload",
)
# server tools: accepted by type prefix (e.g. web_search_20250305, bash_20250124)
SERVER_TOOL_PREFIXES = (
    "web_search_",
    "web_fetch_",
    "bash_",
    "text_editor_",
    "code_execution_",
    "computer_",
    "memory_",
)
TOOL_TAGS = (
    "custom",
    "bash_20250124",
    "code_execution_20250522",
    "computer_20250124",
    "text_editor_20250124",
    "text_editor_20250728",
    "web_fetch_20250910",
    "web_search_20250305",
)
THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"


def claude_error(request: web.Request, status: int, type_: str, message: str) -> GatewayError:
    """``{"type":"error","error":{"type":…,"message":"… (request id: …)"}}`` (controller.Relay)."""
    body = {"type": "error", "error": {"type": type_, "message": with_request_id(message, request_id_of(request))}}
    return GatewayError(json_response(body, status))


def _gateway(request: web.Request, message: str) -> GatewayError:
    return claude_error(request, 500, "new_api_error", message)


def _invalid(request: web.Request, message: str) -> GatewayError:
    return claude_error(request, 400, "invalid_request_error", message)


def _tags(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _tag_error(request: web.Request, path: str, tag: Any, expected: tuple[str, ...]) -> GatewayError:
    return _invalid(
        request,
        f"{path}: Input tag '{tag}' found using 'type' does not match any of the expected tags: {_tags(expected)}",
    )


def thinking_enabled(body: dict[str, Any], model: str) -> bool:
    """Thinking was asked for, or new-api's ``-thinking`` model suffix adapter turns it on."""
    thinking = body.get("thinking")
    if isinstance(thinking, dict):
        return thinking.get("type") in ("enabled", "adaptive")
    return model.endswith("-thinking")


def validate_messages_request(
    request: web.Request, body: dict[str, Any], model: str, default_max_tokens: int | None
) -> list[dict[str, Any]]:
    """Raise GatewayError for an invalid body; return the messages."""
    # --- new-api: Go decoding into dto.ClaudeRequest
    error = (
        integer_error("ClaudeRequest.max_tokens", body.get("max_tokens"), "uint")
        or stream_error(body, "ClaudeRequest")
        or messages_error(body, "ClaudeRequest", "dto.ClaudeMessage")
    )
    if error is not None:
        raise _gateway(request, error)
    messages = body.get("messages")
    thinking = body.get("thinking")
    if thinking is not None:
        if not isinstance(thinking, dict):
            raise _gateway(request, unmarshal_error("ClaudeRequest.thinking", thinking, "dto.Thinking"))
        error = integer_error("ClaudeRequest.thinking.budget_tokens", thinking.get("budget_tokens"), "int")
        if error is not None:
            raise _gateway(request, error)
    if not messages:
        raise _gateway(request, "field messages is required")

    # --- new-api: ClaudeHelper fills a missing/0 max_tokens (stock) — see FakeWenwen.messages_default_max_tokens
    max_tokens = body.get("max_tokens") or default_max_tokens
    headers = request.headers

    # --- the upstream (Anthropic)
    if not max_tokens:
        raise _invalid(request, "max_tokens: Field required")
    if "mcp_servers" in body and body["mcp_servers"] is not None:
        if MCP_BETA not in headers.get("anthropic-beta", ""):
            raise _invalid(request, "mcp_servers: Extra inputs are not permitted")
        _check_mcp_servers(request, body["mcp_servers"])
    _check_system(request, body.get("system"))
    _check_messages(request, messages)
    _check_thinking(request, body, thinking, max_tokens)
    _check_tools(request, body.get("tools"))
    return messages


def _check_mcp_servers(request: web.Request, servers: Any) -> None:
    if not isinstance(servers, list):
        raise _invalid(request, "mcp_servers: Input should be a valid list")
    for index, server in enumerate(servers):
        if not isinstance(server, dict):
            raise _invalid(request, f"mcp_servers.{index}: Input should be a valid dictionary")
        for key in ("type", "url", "name"):
            if not isinstance(server.get(key), str):
                raise _invalid(request, f"mcp_servers.{index}.{key}: Field required")
        if server["type"] != "url":
            raise _invalid(request, f"mcp_servers.{index}.type: Input should be 'url'")


def _check_system(request: web.Request, system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise _invalid(request, "system: Input should be a valid list")
    for index, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise _invalid(request, f"system.{index}.type: Input should be 'text'")
        if not isinstance(block.get("text"), str):
            raise _invalid(request, f"system.{index}.text: Field required")


def _check_messages(request: web.Request, messages: list[dict[str, Any]]) -> None:
    previous_role = ""
    pending_tool_uses: list[str] = []  # tool_use ids of the previous assistant turn
    last = len(messages) - 1
    for index, message in enumerate(messages):
        role = message.get("role")
        if role is None:
            raise _invalid(request, f"messages.{index}.role: Field required")
        if role not in ("user", "assistant"):
            raise _invalid(request, f"messages.{index}.role: Input should be 'user' or 'assistant'")
        if index == 0 and role != "user":
            raise _invalid(request, 'messages: first message must use the "user" role')
        if role == previous_role:
            raise _invalid(
                request,
                'messages: roles must alternate between "user" and "assistant", '
                f'but found multiple "{role}" roles in a row',
            )
        if "content" not in message:
            raise _invalid(request, f"messages.{index}.content: Field required")
        blocks = _blocks(
            request, index, message["content"], role, final_assistant=index == last and role == "assistant"
        )
        results = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
        if pending_tool_uses:
            missing = [i for i in pending_tool_uses if i not in results]
            if missing:
                raise _invalid(
                    request,
                    f"messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` block "
                    "in the next message.",
                )
        unexpected = [r for r in results if r not in pending_tool_uses]
        if unexpected:
            raise _invalid(
                request,
                f"messages.{index}.content.0: unexpected `tool_use_id` found in `tool_result` blocks: "
                f"{unexpected[0]}. Each `tool_result` block must have a corresponding `tool_use` block in the "
                "previous message.",
            )
        pending_tool_uses = [str(b.get("id")) for b in blocks if b.get("type") == "tool_use"]
        previous_role = role


def _blocks(
    request: web.Request, index: int, content: Any, role: str, *, final_assistant: bool
) -> list[dict[str, Any]]:
    path = f"messages.{index}.content"
    empty = (
        f"messages.{index}: all messages must have non-empty content except for the optional final assistant message"
    )
    if isinstance(content, str):
        if not content and not final_assistant:
            raise _invalid(request, empty)
        return []
    if not isinstance(content, list):
        raise _invalid(request, f"{path}: Input should be a valid list")
    if not content and not final_assistant:
        raise _invalid(request, empty)
    for number, block in enumerate(content):
        _check_block(request, f"{path}.{number}", block, role)
    return content


def _check_block(request: web.Request, path: str, block: Any, role: str) -> None:
    if not isinstance(block, dict):
        raise _invalid(request, f"{path}: Input should be a valid dictionary or object to extract fields from")
    kind = block.get("type")
    if kind is None:
        raise _invalid(request, f"{path}.type: Field required")
    if kind not in BLOCK_TYPES:
        raise _tag_error(request, path, kind, BLOCK_TYPES)
    if kind == "text":
        text = block.get("text")
        if text is None:
            raise _invalid(request, f"{path}.text.text: Field required")
        if not isinstance(text, str):
            raise _invalid(request, f"{path}.text.text: Input should be a valid string")
        if not text:
            raise _invalid(request, "messages: text content blocks must be non-empty")
    elif kind == "image":
        _check_image(request, f"{path}.image", block)
    elif kind == "tool_use":
        if role != "assistant":
            raise _invalid(request, f"{path}: tool_use blocks can only be in assistant messages")
        for key in ("id", "name"):
            if not isinstance(block.get(key), str):
                raise _invalid(request, f"{path}.tool_use.{key}: Field required")
        if not isinstance(block.get("input"), dict):
            raise _invalid(request, f"{path}.tool_use.input: Input should be a valid dictionary")
    elif kind == "tool_result":
        if role != "user":
            raise _invalid(request, f"{path}: tool_result blocks can only be in user messages")
        if not isinstance(block.get("tool_use_id"), str):
            raise _invalid(request, f"{path}.tool_result.tool_use_id: Field required")
        inner = block.get("content")
        if inner is not None and not isinstance(inner, str):
            if not isinstance(inner, list):
                raise _invalid(request, f"{path}.tool_result.content: Input should be a valid list")
            for number, sub in enumerate(inner):
                if not isinstance(sub, dict) or sub.get("type") not in ("text", "image", "search_result", "document"):
                    tag = sub.get("type") if isinstance(sub, dict) else go_type(sub)
                    raise _tag_error(
                        request,
                        f"{path}.tool_result.content.{number}",
                        tag,
                        ("text", "image", "search_result", "document"),
                    )
                _check_block(request, f"{path}.tool_result.content.{number}", sub, role)
    elif kind == "thinking":
        for key in ("thinking", "signature"):
            if not isinstance(block.get(key), str):
                raise _invalid(request, f"{path}.thinking.{key}: Field required")


def _check_image(request: web.Request, path: str, block: dict[str, Any]) -> None:
    source = block.get("source")
    if not isinstance(source, dict):
        raise _invalid(request, f"{path}.source: Field required")
    kind = source.get("type")
    if kind == "base64":
        media_type = source.get("media_type")
        if media_type not in IMAGE_MEDIA_TYPES:
            raise _invalid(
                request,
                f"{path}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or "
                "'image/webp'",
            )
        data = source.get("data")
        if not isinstance(data, str):
            raise _invalid(request, f"{path}.source.base64.data: Field required")
        try:
            base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):  # e.g. a data: URL prefix left in
            raise _invalid(request, f"{path}.source.base64.data: invalid base64 data") from None
    elif kind == "url":
        if not isinstance(source.get("url"), str):
            raise _invalid(request, f"{path}.source.url.url: Field required")
    else:
        raise _tag_error(request, f"{path}.source", kind, ("base64", "url", "file"))


def _check_thinking(request: web.Request, body: dict[str, Any], thinking: Any, max_tokens: int) -> None:
    if thinking is None:
        return
    kind = thinking.get("type")
    if kind in ("disabled", "adaptive"):
        return
    if kind != "enabled":
        raise _tag_error(request, "thinking", kind, ("enabled", "disabled", "adaptive"))
    budget = thinking.get("budget_tokens")
    if budget is None:
        raise _invalid(request, "thinking.enabled.budget_tokens: Field required")
    if budget < 1024:
        raise _invalid(request, "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
    if max_tokens <= budget:
        raise _invalid(
            request,
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at "
            f"{THINKING_DOCS}#max-tokens-and-context-window-size",
        )
    temperature = body.get("temperature")
    if temperature is not None and temperature != 1:
        raise _invalid(
            request,
            "`temperature` may only be set to 1 when thinking is enabled or in interleaved thinking mode. "
            f"Please consult our documentation at {THINKING_DOCS}#feature-compatibility",
        )


def _check_tools(request: web.Request, tools: Any) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise _invalid(request, "tools: Input should be a valid list")
    for index, tool in enumerate(tools):
        path = f"tools.{index}"
        if not isinstance(tool, dict):
            raise _invalid(request, f"{path}: Input should be a valid dictionary or object to extract fields from")
        kind = tool.get("type")
        if kind is not None and kind != "custom":
            if isinstance(kind, str) and kind.startswith(SERVER_TOOL_PREFIXES):
                continue
            raise _tag_error(request, path, kind, TOOL_TAGS)
        if not isinstance(tool.get("name"), str):
            raise _invalid(request, f"{path}.custom.name: Field required")
        if not isinstance(tool.get("input_schema"), dict):
            raise _invalid(request, f"{path}.custom.input_schema: Field required")


# ----------------------------------------------------------------- reading
def block_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [b.get("text") for b in content if isinstance(b, dict) and b.get("type") == "text"]
        return "\n".join(t for t in texts if isinstance(t, str))
    return ""


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            text = block_text(message.get("content"))
            if text:
                return text
    return ""


def prompt_text(body: dict[str, Any], messages: list[dict[str, Any]]) -> str:
    return block_text(body.get("system")) + "".join(block_text(m.get("content")) for m in messages)
