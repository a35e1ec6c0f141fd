"""Shared pieces of the audio and image routes: scripted upstream answers and the error texts of
the three layers a media request crosses (spec §6, §7).

1. new-api's distributor — OpenAI-shaped ``abort_openai`` errors (400 / 503), see gateway.py;
2. new-api's request validation — HTTP 400 ``{"type":"new_api_error","code":"invalid_audio_request"}``
   (``invalid_image_request`` for images), as in the builds spec §6.1/§7.1 describe. Current
   new-api renders the same texts as HTTP 500 ``invalid_request``; the fake follows the spec;
3. the adaptor (``ConvertAudioRequest`` / ``ConvertImageRequest``) — HTTP 500
   ``convert_request_failed`` (``file is required``, ``image is required``);
4. the upstream (OpenAI), whose error is passed through with its status and type, ``param: null``
   becoming ``""`` and `` (request id: …)`` appended to the message.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import (
    GatewayError,
    ServerStopping,
    abort_openai,
    default_error_message,
    json_response,
    relay_error,
    relay_error_body,
)
from .gateway import check_model, go_type, parse_json_body

if TYPE_CHECKING:
    from .server import FakeWenwen


@dataclass
class MediaScript:
    """One scripted upstream answer for the next valid audio/image request of one family."""

    status: int = 200
    error_message: str = ""
    error_type: str = "new_api_error"
    error_code: str | None = None
    delay: float = 0.0
    text: str | None = None  # transcripts
    audio: bytes | None = None  # speech body
    content_type: str | None = None  # speech Content-Type
    revised_prompt: str | None = None  # dall-e-3
    image: bytes | None = None  # image bytes served / base64-encoded


def script_error(request: web.Request, script: MediaScript, model: str) -> web.Response:
    message = script.error_message or default_error_message(script.status, model)
    body = relay_error_body(request, message, type_=script.error_type, code=script.error_code)
    return json_response(body, script.status)


async def scripted_delay(fake: FakeWenwen, script: MediaScript | None) -> None:
    """Wait ``script.delay``; a client that hangs up meanwhile counts in ``fake.disconnects``,
    and stopping the fake ends the request with a bare 503."""
    if script is None or script.delay <= 0:
        return
    try:
        await fake.sleep(script.delay)
    except asyncio.CancelledError:
        fake.note_disconnect()
        raise
    except ServerStopping:
        raise GatewayError(web.Response(status=503)) from None


# --------------------------------------------------------------- new-api layers
def distribute_json(fake: FakeWenwen, request: web.Request, default_model: str) -> tuple[Any, str]:
    """``Distribute`` for a JSON media route: (parsed body, model as sent or "").

    The channel is looked up for ``default_model`` when the body names none (new-api's
    ``GetStringIfEmpty``), so a missing model only fails later, in validation."""
    data = parse_json_body(request)
    model: Any = data.get("model") if isinstance(data, dict) else None
    if model is not None and not isinstance(model, str):
        raise abort_openai(request, 400, "Invalid request, field model must be a string")
    check_model(fake, request, model or default_model)
    return data, model or ""


def check_string_fields(
    request: web.Request, data: Any, struct: str, fields: Sequence[str], code: str
) -> dict[str, Any]:
    """Go's decoding of the body into ``dto.<struct>``: an object whose ``fields`` are strings."""
    if not isinstance(data, dict):
        message = f"json: cannot unmarshal {go_type(data)} into Go value of type dto.{struct}"
        raise validation_error(request, message, code)
    for name in fields:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise validation_error(request, go_unmarshal_error(f"{struct}.{name}", value, "string"), code)
    return data


def validation_error(request: web.Request, message: str, code: str) -> GatewayError:
    """``OpenAIErrorWrapper(err, "invalid_audio_request"|"invalid_image_request", 400)``."""
    return relay_error(request, 400, message, code=code)


def convert_failed(request: web.Request, message: str) -> GatewayError:
    """``types.NewError(err, ErrorCodeConvertRequestFailed)`` — HTTP 500."""
    return relay_error(request, 500, message, code="convert_request_failed")


def go_unmarshal_error(struct_field: str, value: Any, go_target: str) -> str:
    """Go's ``UnmarshalTypeError`` text; numbers that do not fit carry their literal."""
    kind = go_type(value)
    if kind == "number" and go_target in ("uint", "int"):
        kind = "number " + json.dumps(value)
    return f"json: cannot unmarshal {kind} into Go struct field {struct_field} of type {go_target}"


# ------------------------------------------------------------- upstream (OpenAI)
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


def _quoted_list(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


def invalid_value(request: web.Request, param: str, value: Any, allowed: Sequence[str]) -> GatewayError:
    """OpenAI's enum error: ``Invalid value: 'x'. Supported values are: 'a', 'b', and 'c'.``"""
    message = f"Invalid value: '{value}'. Supported values are: {_quoted_list(allowed)}."
    return upstream_error(request, message, param=param, code="invalid_value")


def missing_parameter(request: web.Request, param: str) -> GatewayError:
    message = f"Missing required parameter: '{param}'."
    return upstream_error(request, message, param=param, code="missing_required_parameter")


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


def wrong_type(request: web.Request, param: str, expected: str) -> GatewayError:
    """A form field that does not parse as the number it must be (``expected``: "a decimal"…)."""
    message = f"Invalid type for '{param}': expected {expected}, but got a string instead."
    return upstream_error(request, message, param=param, code="invalid_type")


def not_multipart(request: web.Request) -> GatewayError:
    """OpenAI's answer to a JSON body on a multipart-only endpoint."""
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip() or "none"
    message = (
        f"Invalid Content-Type header ({content_type}), expected multipart/form-data. "
        "(HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')"
    )
    return upstream_error(request, message)
