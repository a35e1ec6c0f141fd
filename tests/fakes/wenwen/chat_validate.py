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

from .errors import GatewayError, relay_error
from .gateway import invalid_request, unmarshal_error

ROLES = ("system", "assistant", "user", "function", "tool", "developer")
_ROLES_TEXT = "'system', 'assistant', 'user', 'function', 'tool', and 'developer'"
PART_TYPES = ("text", "image_url")
_PART_TYPES_TEXT = "'text' and 'image_url'"
_MISSING = object()


def _openai_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    return "an object"


def _upstream(request: web.Request, message: str, param: str, code: str) -> GatewayError:
    return relay_error(request, 400, message, type_="invalid_request_error", code=code, param=param)


def _missing(request: web.Request, param: str) -> GatewayError:
    return _upstream(request, f"Missing required parameter: '{param}'.", param, "missing_required_parameter")


def _invalid_type(request: web.Request, param: str, expected: str, value: Any) -> GatewayError:
    message = f"Invalid type for '{param}': expected {expected}, but got {_openai_type(value)} instead."
    return _upstream(request, message, param, "invalid_type")


def _invalid_value(request: web.Request, param: str, value: Any, supported: str) -> GatewayError:
    message = f"Invalid value: '{value}'. Supported values are: {supported}."
    return _upstream(request, message, param, "invalid_value")


def validate_chat_request(request: web.Request, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Raise GatewayError for an invalid body; return the messages."""
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise invalid_request(request, unmarshal_error("GeneralOpenAIRequest.stream", stream, "bool"))
    messages = body.get("messages")
    if messages is not None and not isinstance(messages, list):
        raise invalid_request(request, unmarshal_error("GeneralOpenAIRequest.messages", messages, "[]dto.Message"))
    if not messages:
        raise invalid_request(request, "field messages is required")
    for message in messages:
        if not isinstance(message, dict):
            raise invalid_request(request, unmarshal_error("GeneralOpenAIRequest.messages", message, "dto.Message"))
        role = message.get("role")
        if role is not None and not isinstance(role, str):
            raise invalid_request(request, unmarshal_error("GeneralOpenAIRequest.messages.role", role, "string"))
    for index, message in enumerate(messages):
        _check_message(request, index, message)
    return messages


def _check_message(request: web.Request, index: int, message: dict[str, Any]) -> None:
    path = f"messages[{index}]"
    role = message.get("role")
    if role is None:
        raise _missing(request, f"{path}.role")
    if role not in ROLES:
        raise _invalid_value(request, f"{path}.role", role, _ROLES_TEXT)
    content = message.get("content", _MISSING)
    if content is _MISSING or content is None:
        if role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
            pass
        else:
            raise _missing(request, f"{path}.content")
    elif isinstance(content, list):
        if not content:
            raise _upstream(
                request,
                f"Invalid '{path}.content': empty array. Expected an array with minimum length 1, "
                "but got an empty array instead.",
                f"{path}.content",
                "empty_array",
            )
        for part_index, part in enumerate(content):
            _check_part(request, role, path, f"{path}.content[{part_index}]", part)
    elif not isinstance(content, str):
        raise _invalid_type(request, f"{path}.content", "one of a string or array of objects", content)
    if role == "tool" and not message.get("tool_call_id"):
        raise _missing(request, f"{path}.tool_call_id")


def _check_part(request: web.Request, role: str, message_path: str, path: str, part: Any) -> None:
    if not isinstance(part, dict):
        raise _invalid_type(request, path, "an object", part)
    part_type = part.get("type")
    if part_type is None:
        raise _missing(request, f"{path}.type")
    if part_type not in PART_TYPES:
        raise _invalid_value(request, f"{path}.type", part_type, _PART_TYPES_TEXT)
    if part_type == "text":
        text = part.get("text")
        if text is None:
            raise _missing(request, f"{path}.text")
        if not isinstance(text, str):
            raise _invalid_type(request, f"{path}.text", "a string", text)
        return
    if role != "user":
        raise _upstream(
            request,
            f"Invalid '{message_path}'. Image URLs are only allowed for messages with role 'user', "
            f"but this message with role '{role}' contains an image URL.",
            message_path,
            "invalid_value",
        )
    image_url = part.get("image_url")
    if image_url is None:
        raise _missing(request, f"{path}.image_url")
    if not isinstance(image_url, dict):
        raise _invalid_type(request, f"{path}.image_url", "an object", image_url)
    url = image_url.get("url")
    if url is None:
        raise _missing(request, f"{path}.image_url.url")
    if not isinstance(url, str):
        raise _invalid_type(request, f"{path}.image_url.url", "a string", url)
    ok = url.startswith(("http://", "https://")) or (url.startswith("data:image/") and ";base64," in url)
    if not ok:
        raise _upstream(
            request,
            f"Invalid '{path}.image_url.url'. Expected a valid URL, but got a value with an invalid format.",
            f"{path}.image_url.url",
            "invalid_value",
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
