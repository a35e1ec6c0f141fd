"""Validation of a ``POST /v1/responses`` body in the layers a request meets (docs/protocols.md, "Gateway: Responses").

1. new-api decodes the body into ``dto.OpenAIResponsesRequest`` (Go type errors) and checks
   ``input`` (``relay/helper/valid_request.go``: ``input is required``). Failures are
   ``NewError(err, invalid_request)`` → **HTTP 500** ``new_api_error`` / ``invalid_request``.
2. The upstream (OpenAI) validates input items, content parts, tools and ``reasoning`` and answers
   HTTP 400 ``invalid_request_error`` with ``param``/``code``; new-api passes that through.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from .gateway import integer_error, invalid_request, stream_error, unmarshal_error
from .upstream import invalid_type, invalid_value, missing_parameter, required_string, typed_object, upstream_error

MESSAGE_ROLES = ("assistant", "system", "developer", "user")  # in the order OpenAI's error lists them
INPUT_PARTS = ("input_text", "input_image", "input_file")
OUTPUT_PARTS = ("output_text", "refusal")
# item types accepted in ``input`` besides messages (not looked into)
OTHER_ITEMS = (
    "reasoning",
    "web_search_call",
    "file_search_call",
    "computer_call",
    "computer_call_output",
    "image_generation_call",
    "code_interpreter_call",
    "local_shell_call",
    "local_shell_call_output",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
    "mcp_call",
    "custom_tool_call",
    "custom_tool_call_output",
    "item_reference",
)
ITEM_TYPES = ("message", "function_call", "function_call_output", *OTHER_ITEMS)
TOOL_TYPES = (
    "function",
    "file_search",
    "web_search",
    "web_search_2025_08_26",
    "web_search_preview",
    "web_search_preview_2025_03_11",
    "computer_use_preview",
    "mcp",
    "code_interpreter",
    "image_generation",
    "local_shell",
    "custom",
)
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
SUMMARIES = ("auto", "concise", "detailed")
REASONING_MODEL = re.compile(r"^(o\d|gpt-5|codex)", re.IGNORECASE)


def validate_responses_request(request: web.Request, body: dict[str, Any], model: str) -> None:
    """Raise GatewayError for an invalid body."""
    _go_layer(request, body)
    _check_input(request, body)
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise invalid_type(request, "instructions", "a string", instructions)
    _check_tools(request, body.get("tools"))
    _check_reasoning(request, body.get("reasoning"), model)


def _go_layer(request: web.Request, body: dict[str, Any]) -> None:
    error = stream_error(body, "OpenAIResponsesRequest") or integer_error(
        "OpenAIResponsesRequest.max_output_tokens", body.get("max_output_tokens"), "uint"
    )
    if error is not None:
        raise invalid_request(request, error)
    reasoning = body.get("reasoning")
    if reasoning is not None:
        if not isinstance(reasoning, dict):
            raise invalid_request(
                request, unmarshal_error("OpenAIResponsesRequest.reasoning", reasoning, "dto.Reasoning")
            )
        for key in ("effort", "summary"):
            value = reasoning.get(key)
            if value is not None and not isinstance(value, str):
                raise invalid_request(
                    request, unmarshal_error(f"OpenAIResponsesRequest.reasoning.{key}", value, "string")
                )
    if "input" not in body or body["input"] is None:
        raise invalid_request(request, "input is required")


def _check_input(request: web.Request, body: dict[str, Any]) -> None:
    items = body["input"]
    if isinstance(items, str):
        return
    if not isinstance(items, list):
        raise invalid_type(request, "input", "one of a string or array of input items", items)
    call_ids: set[str] = set()
    for index, item in enumerate(items):
        path = f"input[{index}]"
        if not isinstance(item, dict):
            raise invalid_type(request, path, "an object", item)
        kind = item.get("type")
        if kind is None:
            if "role" not in item:
                raise missing_parameter(request, f"{path}.role")
            kind = "message"
        if kind not in ITEM_TYPES:
            raise invalid_value(request, f"{path}.type", kind, ITEM_TYPES)
        if kind == "message":
            _check_message(request, path, item)
        elif kind == "function_call":
            for key in ("call_id", "name", "arguments"):
                required_string(request, path, item, key)
            call_ids.add(item["call_id"])
        elif kind == "function_call_output":
            for key in ("call_id", "output"):
                if key not in item or item[key] is None:
                    raise missing_parameter(request, f"{path}.{key}")
            if not isinstance(item["call_id"], str):
                raise invalid_type(request, f"{path}.call_id", "a string", item["call_id"])
            output = item["output"]
            if not isinstance(output, str | list):
                raise invalid_type(request, f"{path}.output", "one of a string or array of objects", output)
            if item["call_id"] not in call_ids and not body.get("previous_response_id"):
                message = f"No tool call found for function call output with call_id {item['call_id']}."
                raise upstream_error(request, message, param="input")


def _check_message(request: web.Request, path: str, item: dict[str, Any]) -> None:
    role = item.get("role")
    if role is None:
        raise missing_parameter(request, f"{path}.role")
    if role not in MESSAGE_ROLES:
        raise invalid_value(request, f"{path}.role", role, MESSAGE_ROLES)
    if "content" not in item or item["content"] is None:
        raise missing_parameter(request, f"{path}.content")
    content = item["content"]
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise invalid_type(request, f"{path}.content", "one of a string or array of input items", content)
    allowed = OUTPUT_PARTS if role == "assistant" else INPUT_PARTS
    for index, part in enumerate(content):
        part_path = f"{path}.content[{index}]"
        part, kind = typed_object(request, part_path, part, allowed)
        if kind in ("input_text", "output_text"):
            required_string(request, part_path, part, "text")
        elif kind == "refusal":
            if not isinstance(part.get("refusal"), str):
                raise missing_parameter(request, f"{part_path}.refusal")
        elif kind == "input_image":
            _check_image(request, part_path, part)


def _check_image(request: web.Request, path: str, part: dict[str, Any]) -> None:
    url = part.get("image_url")
    if url is None:
        if part.get("file_id"):
            return
        raise upstream_error(
            request,
            f"Invalid '{path}': one of 'image_url' or 'file_id' must be provided.",
            param=path,
            code="missing_required_parameter",
        )
    if not isinstance(url, str):  # e.g. the chat-completions shape {"url": …}
        raise invalid_type(request, f"{path}.image_url", "a string", url)
    ok = url.startswith(("http://", "https://")) or (url.startswith("data:image/") and ";base64," in url)
    if not ok:
        raise upstream_error(
            request,
            f"Invalid '{path}.image_url'. Expected a base64-encoded data URL with an image MIME type "
            "(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got unsupported MIME type.",
            param=f"{path}.image_url",
            code="invalid_value",
        )


def _check_tools(request: web.Request, tools: Any) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise invalid_type(request, "tools", "an array", tools)
    for index, tool in enumerate(tools):
        path = f"tools[{index}]"
        tool, kind = typed_object(request, path, tool, TOOL_TYPES)
        if kind == "function":
            # the Responses function tool is flat: {"type":"function","name":…,"parameters":…}
            required_string(request, path, tool, "name")


def _check_reasoning(request: web.Request, reasoning: dict[str, Any] | None, model: str) -> None:
    if not reasoning:
        return
    for key, values in (("effort", EFFORTS), ("summary", SUMMARIES)):
        value = reasoning.get(key)
        if value is None:
            continue
        if not REASONING_MODEL.match(model):
            raise upstream_error(
                request,
                f"Unsupported parameter: 'reasoning.{key}' is not supported with this model.",
                param=f"reasoning.{key}",
                code="unsupported_parameter",
            )
        if value not in values:
            raise invalid_value(request, f"reasoning.{key}", value, values)


# ----------------------------------------------------------------- reading
def part_text(content: Any) -> str:
    """The text of a message's content: a string, or its text parts joined with newlines."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            p.get("text") for p in content if isinstance(p, dict) and p.get("type") in ("input_text", "output_text")
        ]
        return "\n".join(t for t in texts if isinstance(t, str))
    return ""


def input_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("input")
    if isinstance(items, str):
        return [{"role": "user", "content": items}]
    return [i for i in items or [] if isinstance(i, dict) and (i.get("type") in (None, "message"))]


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(input_messages(body)):
        if message.get("role") == "user":
            return part_text(message.get("content"))
    return ""


def input_text(body: dict[str, Any]) -> str:
    """Everything the fake counts as prompt text (for the usage estimate)."""
    texts = [body["instructions"]] if isinstance(body.get("instructions"), str) else []
    texts += [part_text(m.get("content")) for m in input_messages(body)]
    for item in body.get("input") or []:
        if (
            isinstance(item, dict)
            and item.get("type") == "function_call_output"
            and isinstance(item.get("output"), str)
        ):
            texts.append(item["output"])
    return "".join(texts)
