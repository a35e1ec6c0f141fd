"""Typed errors for everything the gateway can answer with (wenwen-api.md §0.3, §2.3, §5)."""

from __future__ import annotations

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


def _extract(body: Any) -> tuple[str, str | None, str | None]:
    """(message, code, type) from the OpenAI, Claude, MJ and task envelopes."""
    if not isinstance(body, dict):
        return "", None, None
    inner = body.get("error")
    if isinstance(inner, dict):  # OpenAI {"error":{…}} and Claude {"type":"error","error":{…}}
        code = inner.get("code")
        return str(inner.get("message") or ""), None if code in (None, "") else str(code), inner.get("type")
    if isinstance(inner, str):  # {"error":"midjourney_task_not_found"}
        return inner, None, None
    if "description" in body:  # Midjourney {"description":…,"type":…,"code":4}
        return str(body.get("description") or ""), str(body.get("code")), body.get("type")
    if "message" in body:  # task {"code":…,"message":…,"data":null}
        return str(body.get("message") or ""), str(body.get("code")), None
    return "", None, None


def classify(status: int | None, message: str, code: str | None) -> ErrorKind:
    text = f"{message} {code or ''}".lower()
    if code in ("insufficient_user_quota", "pre_consume_token_quota_failed") or "额度" in text or "quota" in text:
        return ErrorKind.QUOTA
    if code == "model_not_found" or "无可用渠道" in text or "model_not_found" in text:
        return ErrorKind.MODEL_UNAVAILABLE
    if status == 401:
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
    kind = classify(None, message, code)
    return WenwenStreamError(message, request_id=request_id or text_id, code=code, error_type=error_type, kind=kind)
