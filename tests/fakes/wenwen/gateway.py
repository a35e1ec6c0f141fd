"""Before a relay handler runs: new-api's distributor (model → channel; docs/protocols.md, "Gateway: error envelopes")
and the Go-side JSON decoding of the request (``common.UnmarshalBodyReusable``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import GatewayError, abort_openai, relay_error
from .recording import BODY_KEY

if TYPE_CHECKING:
    from .server import FakeWenwen

MODEL_NAME_REQUIRED = "未指定模型名称，模型名称不能为空"


def go_type(value: Any) -> str:
    """The JSON type name Go's encoding/json uses in ``cannot unmarshal X into …``."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"


def unmarshal_error(struct_field: str, value: Any, go_target: str) -> str:
    return f"json: cannot unmarshal {go_type(value)} into Go struct field {struct_field} of type {go_target}"


def integer_unmarshal_error(struct_field: str, value: Any, go_target: str) -> str:
    """:func:`unmarshal_error` for an ``int``/``uint`` field: a number that does not fit carries
    its literal (``number -1``, ``number 1.5``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"json: cannot unmarshal number {value} into Go struct field {struct_field} of type {go_target}"
    return unmarshal_error(struct_field, value, go_target)


def integer_error(struct_field: str, value: Any, go_target: str) -> str | None:
    """Go's error decoding an optional ``int``/``uint`` field, or None when it decodes."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and (go_target == "int" or value >= 0)):
        return None
    return integer_unmarshal_error(struct_field, value, go_target)


def stream_error(body: dict[str, Any], struct: str) -> str | None:
    """Go's error decoding ``stream`` (a bool) into ``dto.<struct>``, or None."""
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        return unmarshal_error(f"{struct}.stream", stream, "bool")
    return None


def messages_error(body: dict[str, Any], struct: str, message_type: str) -> str | None:
    """Go's error decoding ``messages`` (a list of objects with a string ``role``), or None."""
    messages = body.get("messages")
    if messages is not None and not isinstance(messages, list):
        return unmarshal_error(f"{struct}.messages", messages, f"[]{message_type}")
    for message in messages or []:
        if not isinstance(message, dict):
            return unmarshal_error(f"{struct}.messages", message, message_type)
        role = message.get("role")
        if role is not None and not isinstance(role, str):
            return unmarshal_error(f"{struct}.messages.role", role, "string")
    return None


def parse_json_body(request: web.Request) -> Any:
    """The recorded body parsed as JSON; 400 ``Invalid request, …`` like the distributor if it is not."""
    body = request[BODY_KEY]
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise abort_openai(request, 400, "Invalid request, invalid JSON request body") from None


def body_and_model(request: web.Request) -> tuple[Any, str]:
    """The parsed JSON body and its ``model`` ("" when absent), as the distributor reads them:
    400 ``Invalid request, …`` when the body is not JSON or the model not a string."""
    data = parse_json_body(request)
    model: Any = data.get("model") if isinstance(data, dict) else None
    if model is not None and not isinstance(model, str):
        raise abort_openai(request, 400, "Invalid request, field model must be a string")
    return data, model or ""


def distribute(fake: FakeWenwen, request: web.Request) -> tuple[dict[str, Any], str]:
    """``middleware.Distribute`` for JSON relay routes: returns (body, model) or raises.

    * body not JSON → 400 ``Invalid request, invalid JSON request body``
    * ``model`` not a string → 400 ``Invalid request, field model must be a string``
    * ``model`` missing/empty → 400 ``未指定模型名称，模型名称不能为空``
    * ``model`` not in the fake's model list → 503 ``当前分组 default 下对于模型 X 无可用渠道``
      with code ``model_not_found``
    """
    data, model = body_and_model(request)
    if not model:
        raise abort_openai(request, 400, MODEL_NAME_REQUIRED)
    check_model(fake, request, model)
    if not isinstance(data, dict):  # pragma: no cover - a JSON array has no model
        raise abort_openai(request, 400, MODEL_NAME_REQUIRED)
    return data, model


def check_model(fake: FakeWenwen, request: web.Request, model: str) -> None:
    if model not in fake.model_ids():
        raise abort_openai(request, 503, f"当前分组 default 下对于模型 {model} 无可用渠道", "model_not_found")


def invalid_request(request: web.Request, message: str) -> GatewayError:
    """A relay-side validation failure: ``types.NewError(err, invalid_request)`` → HTTP 500 (sic)."""
    return relay_error(request, 500, message, code="invalid_request")
