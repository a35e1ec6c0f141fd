"""Typed errors for everything the gateway can answer with (docs/protocols.md, "Gateway: error envelopes")."""

from __future__ import annotations

import ast
import json
import re
from enum import StrEnum
from typing import Any

_REQUEST_ID_IN_TEXT = re.compile(r"\s*\(request id: ([^)]+)\)\s*$")


class ErrorKind(StrEnum):
    """What went wrong, in the terms a user can act on."""

    INVALID_KEY = "invalid_key"
    QUOTA = "quota"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    MODEL_UNAVAILABLE = "model_unavailable"
    BAD_REQUEST = "bad_request"
    TOO_LARGE = "too_large"
    UPSTREAM = "upstream"
    NETWORK = "network"
    TRUNCATED = "truncated"
    NOT_FOUND = "not_found"
    BANNED = "banned"
    QUEUE_FULL = "queue_full"
    EMPTY_ANSWER = "empty_answer"  # the stream ended normally with no text
    VISION_REFUSED = "vision_refused"  # the model (or gateway) will not take the request's images


class WenwenError(Exception):
    """An error from the gateway (or on the way to it)."""

    kind: ErrorKind = ErrorKind.UPSTREAM

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        code: str | None = None,
        error_type: str | None = None,
        kind: ErrorKind | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.code = code
        self.error_type = error_type
        if kind is not None:
            self.kind = kind

    retryable_override: bool | None = None

    @property
    def retryable(self) -> bool:
        if self.retryable_override is not None:
            return self.retryable_override
        return self.kind in (ErrorKind.RATE_LIMITED, ErrorKind.UPSTREAM, ErrorKind.NETWORK)

    def __str__(self) -> str:
        status = f"HTTP {self.status}: " if self.status else ""
        rid = f" (request id: {self.request_id})" if self.request_id else ""
        return f"{status}{self.message}{rid}"


class WenwenNetworkError(WenwenError):
    """The gateway could not be reached, or the connection broke."""

    kind = ErrorKind.NETWORK

    def __init__(self, message: str, *, sent: bool = False, request_id: str | None = None) -> None:
        super().__init__(message, request_id=request_id)
        self.sent = sent

    @property
    def retryable(self) -> bool:
        # a request that may have reached the gateway is never sent twice: it may be running and billed
        return not self.sent if self.retryable_override is None else self.retryable_override


class WenwenStreamError(WenwenError):
    """The stream carried an error object after it had started (status 200)."""

    kind = ErrorKind.UPSTREAM


class WenwenTruncatedError(WenwenError):
    """The stream ended without a finish reason: the answer is incomplete."""

    kind = ErrorKind.TRUNCATED


def _split_request_id(message: str) -> tuple[str, str | None]:
    match = _REQUEST_ID_IN_TEXT.search(message)
    if not match:
        return message.strip(), None
    return message[: match.start()].strip(), match.group(1).strip()


def _unwrap(message: str) -> str:
    """A message that is itself an error object, JSON or a Python repr (LiteLLM passes upstream bodies on
    that way: "{'error': 'Invalid file format'}"), becomes the words inside it."""
    text = message.strip()
    if not (text.startswith("{") and text.endswith("}")) or len(text) > 10_000:
        return message
    for parse in (json.loads, ast.literal_eval):
        try:
            inner = parse(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        found, _, _ = _extract(inner)
        return found or message
    return message


def _extract(body: Any) -> tuple[str, str | None, str | None]:
    """(message, code, type) from the OpenAI, Claude, MJ, task and FastAPI (`detail`) envelopes."""
    if not isinstance(body, dict):
        return "", None, None
    inner = body.get("error")
    if isinstance(inner, dict):  # OpenAI {"error":{…}} and Claude {"type":"error","error":{…}}
        code = inner.get("code")
        message = _unwrap(str(inner.get("message") or ""))
        return message, None if code in (None, "") else str(code), inner.get("type")
    if isinstance(inner, str):  # {"error":"midjourney_task_not_found"}
        return _unwrap(inner), None, None
    detail = body.get("detail")
    if isinstance(detail, str):  # FastAPI servers (LiteLLM, whisper and TTS servers): {"detail": "Not Found"}
        return detail, None, None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):  # {"detail": [{"msg": …}]}
        return str(detail[0].get("msg") or ""), None, None
    if "description" in body:  # Midjourney {"description":…,"type":…,"code":4}
        return str(body.get("description") or ""), str(body.get("code")), body.get("type")
    if "message" in body:  # task {"code":…,"message":…,"data":null}
        return str(body.get("message") or ""), str(body.get("code")), None
    return "", None, None


# How gateways say "no such model here": new-api, LiteLLM ("Invalid model name passed in model=…"),
# OpenAI ("The model `x` does not exist"), vLLM/llama.cpp ("model … not found").
_MODEL_GONE = re.compile(
    r"model_not_found|invalid model name|no available channel|无可用渠道|unknown model|"
    r"model\W.{0,80}(does not exist|not found|not supported|is not available)",
    re.IGNORECASE,
)
# How they say "this key is not accepted" (new-api's 无效的令牌, LiteLLM's "invalid proxy server token").
_KEY_REFUSED = re.compile(
    r"invalid[_ ](api[_ ])?key|incorrect api key|invalid token|invalid bearer token|token not found|"
    r"authentication error|unauthori[sz]ed|无效的令牌|令牌.{0,6}(过期|禁用|不存在)|api key",
    re.IGNORECASE,
)


def classify(status: int | None, message: str, code: str | None) -> ErrorKind:
    text = f"{message} {code or ''}".lower()
    if code in ("insufficient_user_quota", "pre_consume_token_quota_failed") or "额度" in text or "quota" in text:
        return ErrorKind.QUOTA
    if _MODEL_GONE.search(text):
        return ErrorKind.MODEL_UNAVAILABLE
    if status == 401 or (status in (None, 400, 403) and _KEY_REFUSED.search(text)):
        return ErrorKind.INVALID_KEY
    if status == 403:
        return ErrorKind.MODEL_UNAVAILABLE if "无权访问模型" in text else ErrorKind.FORBIDDEN
    if status == 413:
        return ErrorKind.TOO_LARGE
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if status == 404:
        return ErrorKind.MODEL_UNAVAILABLE if "model" in text else ErrorKind.BAD_REQUEST
    if status is not None and 400 <= status < 500:
        return ErrorKind.BAD_REQUEST
    return ErrorKind.UPSTREAM


def error_from_response(status: int, body: bytes, headers: dict[str, str] | Any) -> WenwenError:
    """Build a typed error from any error response body the gateway sends."""
    header_id = headers.get("x-oneapi-request-id") if headers is not None else None
    text = body.decode("utf-8", errors="replace").strip()
    try:
        parsed: Any = json.loads(text) if text else None
    except ValueError:
        parsed = None
    message, code, error_type = _extract(parsed)
    if not message:
        # plain text or HTML from a proxy in front of the gateway: keep it short
        message = re.sub(r"<[^>]+>", " ", text)
        message = " ".join(message.split())[:300] or f"HTTP {status}"
    message, text_id = _split_request_id(message)
    message = _unwrap(message)
    return WenwenError(
        message,
        status=status,
        request_id=header_id or text_id,
        code=code,
        error_type=error_type,
        kind=classify(status, message, code),
    )


def error_from_stream_object(obj: dict[str, Any], request_id: str | None) -> WenwenStreamError:
    """A `data: {"error": …}` frame in the middle of a 200 stream."""
    message, code, error_type = _extract(obj)
    message, text_id = _split_request_id(message or "upstream error")
    message = _unwrap(message)
    kind = classify(None, message, code)
    return WenwenStreamError(message, request_id=request_id or text_id, code=code, error_type=error_type, kind=kind)
