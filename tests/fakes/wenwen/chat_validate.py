"""Validation of a /v1/chat/completions body, in the two layers a real request meets.

1. new-api decodes the body into ``dto.GeneralOpenAIRequest`` and checks ``messages``
   (``relay/helper/valid_request.go``). Failures are ``NewError(err, invalid_request)``, which
   stock new-api renders as **HTTP 500** ``{"type":"new_api_error","code":"invalid_request"}``.
2. The upstream (OpenAI) validates roles and content parts and answers HTTP 400
   ``invalid_request_error`` with ``param``/``code``; new-api passes that through.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .gateway import invalid_request, messages_error, stream_error
from .upstream import invalid_type, invalid_value, missing_parameter, required_string, typed_object, upstream_error

ROLES = ("system", "assistant", "user", "function", "tool", "developer")
PART_TYPES = ("text", "image_url")
_MISSING = object()


def validate_chat_request(request: web.Request, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Raise GatewayError for an invalid body; return the messages."""
    error = stream_error(body, "GeneralOpenAIRequest") or messages_error(body, "GeneralOpenAIRequest", "dto.Message")
    if error is not None:
        raise invalid_request(request, error)
    messages = body.get("messages")
    if not messages:
        raise invalid_request(request, "field messages is required")
    for index, message in enumerate(messages):
        _check_message(request, index, message)
    return messages


def _check_message(request: web.Request, index: int, message: dict[str, Any]) -> None:
    path = f"messages[{index}]"
    role = message.get("role")
    if role is None:
        raise missing_parameter(request, f"{path}.role")
    if role not in ROLES:
        raise invalid_value(request, f"{path}.role", role, ROLES)
    content = message.get("content", _MISSING)
    if content is _MISSING or content is None:
        if role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
            pass
        else:
            raise missing_parameter(request, f"{path}.content")
    elif isinstance(content, list):
        if not content:
            raise upstream_error(
                request,
                f"Invalid '{path}.content': empty array. Expected an array with minimum length 1, "
                "but got an empty array instead.",
                param=f"{path}.content",
                code="empty_array",
            )
        for part_index, part in enumerate(content):
            _check_part(request, role, path, f"{path}.content[{part_index}]", part)
    elif not isinstance(content, str):
        raise invalid_type(request, f"{path}.content", "one of a string or array of objects", content)
    if role == "tool" and not message.get("tool_call_id"):
        raise missing_parameter(request, f"{path}.tool_call_id")


def _check_part(request: web.Request, role: str, message_path: str, path: str, part: Any) -> None:
    part, part_type = typed_object(request, path, part, PART_TYPES)
    if part_type == "text":
        required_string(request, path, part, "text")
        return
    if role != "user":
        raise upstream_error(
            request,
            f"Invalid '{message_path}'. Image URLs are only allowed for messages with role 'user', "
            f"but this message with role '{role}' contains an image URL.",
            param=message_path,
            code="invalid_value",
        )
    image_url = part.get("image_url")
    if image_url is None:
        raise missing_parameter(request, f"{path}.image_url")
    if not isinstance(image_url, dict):
        raise invalid_type(request, f"{path}.image_url", "an object", image_url)
    url = required_string(request, f"{path}.image_url", image_url, "url")
    ok = url.startswith(("http://", "https://")) or (url.startswith("data:image/") and ";base64," in url)
    if not ok:
        raise upstream_error(
            request,
            f"Invalid '{path}.image_url.url'. Expected a valid URL, but got a value with an invalid format.",
            param=f"{path}.image_url.url",
            code="invalid_value",
        )


def message_text(message: dict[str, Any]) -> str:
    """The text of a message: a string content, or its text parts joined with newlines."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p["text"] for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "\n".join(t for t in texts if isinstance(t, str))
    return ""


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message)
    return ""
