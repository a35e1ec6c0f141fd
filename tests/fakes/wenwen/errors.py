"""Request ids and error envelopes (docs/protocols.md, "Gateway: authentication", "Gateway: error envelopes").

Three shapes exist on the OpenAI-format routes of stock new-api:

* ``abort_openai`` — middleware errors (TokenAuth, Distribute):
  ``{"error":{"message":"… (request id: X)","type":"new_api_error","code":""}}`` (no ``param`` key).
* ``relay_error`` — errors raised inside ``controller.Relay`` (validation, quota, upstream):
  ``{"error":{"message":"… (request id: X)","type":…,"param":"","code":…}}``.
* ``plain_error`` — the literal bodies of ``RelayNotFound`` / ``RelayNotImplemented`` (no request id).

Handlers raise :class:`GatewayError`; the server middleware turns it into the response.
"""

from __future__ import annotations

import json
import secrets
import string
from datetime import datetime
from typing import Any

from aiohttp import web

from .recording import REQUEST_ID_KEY

REQUEST_ID_HEADER = "X-Oneapi-Request-Id"
_ALNUM = string.ascii_letters + string.digits


class GatewayError(Exception):
    """Raised by a handler to answer with a ready-made response."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__(f"gateway error {response.status}")
        self.response = response


class ServerStopping(Exception):
    """The fake is being stopped while a scripted reply waits; the handler should just end."""


def random_id(length: int) -> str:
    """``length`` random ASCII letters and digits (the tail of request, message and file ids)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_request_id() -> str:
    """``20251121123456789abcdEFGH``: local time to the millisecond plus 8 random characters."""
    now = datetime.now()
    stamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
    return stamp + random_id(8)


def request_id_of(request: web.Request) -> str:
    return request.get(REQUEST_ID_KEY, "")


def with_request_id(message: str, request_id: str) -> str:
    """``common.MessageWithRequestId``."""
    return f"{message} (request id: {request_id})"


def compact_json(payload: Any) -> str:
    """JSON as an upstream (OpenAI, Anthropic, the MJ proxy) writes it: compact, UTF-8 kept."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def go_json(payload: Any) -> str:
    """Serialise like gin's ``c.JSON``: compact, UTF-8 kept, HTML characters escaped."""
    text = compact_json(payload)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def json_response(payload: Any, status: int = 200, *, gin: bool = True) -> web.Response:
    """A JSON response; ``gin=False`` for bodies passed through from an upstream."""
    text = go_json(payload) if gin else compact_json(payload)
    return web.Response(text=text, status=status, content_type="application/json", charset="utf-8")


def abort_openai(request: web.Request, status: int, message: str, code: str = "") -> GatewayError:
    """``middleware.abortWithOpenAiMessage``."""
    body = {
        "error": {
            "message": with_request_id(message, request_id_of(request)),
            "type": "new_api_error",
            "code": code,
        }
    }
    return GatewayError(json_response(body, status))


def relay_error_body(
    request: web.Request,
    message: str,
    *,
    type_: str = "new_api_error",
    code: str | None = None,
    param: str = "",
) -> dict[str, Any]:
    return {
        "error": {
            "message": with_request_id(message, request_id_of(request)),
            "type": type_,
            "param": param,
            "code": code,
        }
    }


def relay_error(
    request: web.Request,
    status: int,
    message: str,
    *,
    type_: str = "new_api_error",
    code: str | None = None,
    param: str = "",
) -> GatewayError:
    """An error rendered by ``controller.Relay`` (``NewAPIError.ToOpenAIError``)."""
    body = relay_error_body(request, message, type_=type_, code=code, param=param)
    return GatewayError(json_response(body, status))


def scripted_error(
    request: web.Request, status: int, message: str, model: str, type_: str, code: str | None
) -> web.Response:
    """A scripted upstream failure relayed OpenAI-shaped; ``message`` defaults to the gateway's
    text for ``status`` (see :func:`default_error_message`)."""
    message = message or default_error_message(status, model)
    return json_response(relay_error_body(request, message, type_=type_, code=code), status)


def plain_error(status: int, message: str, type_: str, code: str) -> web.Response:
    """Errors new-api writes without a request id (RelayNotFound, RelayNotImplemented)."""
    body = {"error": {"message": message, "type": type_, "param": "", "code": code}}
    return json_response(body, status)


def not_found(request: web.Request) -> web.Response:
    """``controller.RelayNotFound`` — unknown path or method."""
    return plain_error(404, f"Invalid URL ({request.method} {request.path})", "invalid_request_error", "")


def not_implemented() -> web.Response:
    """``controller.RelayNotImplemented``."""
    return plain_error(501, "API not implemented", "new_api_error", "api_not_implemented")


def text_response(body: str, status: int) -> web.Response:
    """A non-JSON error body, e.g. an nginx/Cloudflare page in front of the gateway."""
    content_type = "text/html" if body.lstrip().startswith("<") else "text/plain"
    return web.Response(text=body, status=status, content_type=content_type, charset="utf-8")


# Default gateway texts for scripted errors that do not set a message (docs/protocols.md, "Gateway: error envelopes").
def default_error_message(status: int, model: str) -> str:
    defaults = {
        401: "无效的令牌",
        403: "user quota is not enough",
        413: "request body too large",
        429: "当前分组上游负载已饱和，请稍后再试",
        500: "请求上游地址失败",
        503: f"当前分组 default 下对于模型 {model} 无可用渠道",
    }
    return defaults.get(status, f"bad response status code {status}")
