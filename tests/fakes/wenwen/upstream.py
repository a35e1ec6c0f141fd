"""The upstream's (OpenAI's) request validation errors, which new-api passes through: HTTP 400
``invalid_request_error`` with ``param``/``code``, `` (request id: …)`` appended to the message.
Shared by the chat completions, Responses, audio and image routes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from .errors import GatewayError, relay_error


def upstream_error(
    request: web.Request,
    message: str,
    *,
    status: int = 400,
    param: str = "",
    code: str | None = None,
    type_: str = "invalid_request_error",
) -> GatewayError:
    return relay_error(request, status, message, type_=type_, code=code, param=param)


def quoted_list(values: Sequence[str]) -> str:
    """``'a'``, ``'a' and 'b'``, ``'a', 'b', and 'c'``."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def openai_type(value: Any) -> str:
    """The JSON type as OpenAI names it in ``Invalid type`` errors."""
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


def missing_parameter(request: web.Request, param: str) -> GatewayError:
    message = f"Missing required parameter: '{param}'."
    return upstream_error(request, message, param=param, code="missing_required_parameter")


def invalid_type(request: web.Request, param: str, expected: str, value: Any) -> GatewayError:
    """``Invalid type for 'x': expected a string, but got an integer instead.`` (``expected``: "a decimal"…)."""
    message = f"Invalid type for '{param}': expected {expected}, but got {openai_type(value)} instead."
    return upstream_error(request, message, param=param, code="invalid_type")


def invalid_value(request: web.Request, param: str, value: Any, allowed: Sequence[str]) -> GatewayError:
    """OpenAI's enum error: ``Invalid value: 'x'. Supported values are: 'a', 'b', and 'c'.``"""
    message = f"Invalid value: '{value}'. Supported values are: {quoted_list(allowed)}."
    return upstream_error(request, message, param=param, code="invalid_value")


def string_too_long(request: web.Request, param: str, limit: int, length: int) -> GatewayError:
    message = (
        f"Invalid '{param}': string too long. Expected a string with maximum length {limit}, "
        f"but got a string with length {length} instead."
    )
    return upstream_error(request, message, param=param, code="string_above_max_length")


def empty_string(request: web.Request, param: str) -> GatewayError:
    message = (
        f"Invalid '{param}': empty string. Expected a string with minimum length 1, but got an empty string instead."
    )
    return upstream_error(request, message, param=param, code="empty_string")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def out_of_range(
    request: web.Request, param: str, value: float, low: float, high: float, *, integer: bool = False
) -> GatewayError | None:
    """OpenAI's range error, or None when ``low <= value <= high``."""
    kind = "integer" if integer else "decimal"
    if value > high:
        message = (
            f"Invalid '{param}': {kind} above maximum value. Expected a value <= {_number(high)}, "
            f"but got {_number(value)} instead."
        )
        return upstream_error(request, message, param=param, code=f"{kind}_above_max_value")
    if value < low:
        message = (
            f"Invalid '{param}': {kind} below minimum value. Expected a value >= {_number(low)}, "
            f"but got {_number(value)} instead."
        )
        return upstream_error(request, message, param=param, code=f"{kind}_below_min_value")
    return None


# ------------------------------------------------------------- JSON bodies
def typed_object(request: web.Request, path: str, value: Any, allowed: Sequence[str]) -> tuple[dict[str, Any], Any]:
    """An object whose ``type`` is one of ``allowed`` (a content part, a tool …): (it, its type)."""
    if not isinstance(value, dict):
        raise invalid_type(request, path, "an object", value)
    kind = value.get("type")
    if kind is None:
        raise missing_parameter(request, f"{path}.type")
    if kind not in allowed:
        raise invalid_value(request, f"{path}.type", kind, allowed)
    return value, kind


def required_string(request: web.Request, path: str, value: dict[str, Any], key: str) -> str:
    """``value[key]``, which must be present and a string."""
    field = value.get(key)
    if field is None:
        raise missing_parameter(request, f"{path}.{key}")
    if not isinstance(field, str):
        raise invalid_type(request, f"{path}.{key}", "a string", field)
    return field


def not_multipart(request: web.Request) -> GatewayError:
    """OpenAI's answer to a JSON body on a multipart-only endpoint."""
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip() or "none"
    message = (
        f"Invalid Content-Type header ({content_type}), expected multipart/form-data. "
        "(HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')"
    )
    return upstream_error(request, message)
