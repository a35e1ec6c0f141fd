"""A failure as a short message in the user's language: what happened and what to do."""

from __future__ import annotations

from bot.core.events import TurnFailed
from bot.i18n import MESSAGES, t
from bot.wenwen import ErrorKind, WenwenError


def error_text(lang: str, kind: ErrorKind, message: str, *, model: str = "", request_id: str | None = None) -> str:
    if kind == ErrorKind.BAD_REQUEST:
        text = t(lang, "error.bad_request", detail=message[:300])
    elif kind == ErrorKind.MODEL_UNAVAILABLE:
        text = t(lang, "error.model_unavailable", model=model or "?")
    elif f"error.{kind.value}" in MESSAGES:
        text = t(lang, f"error.{kind.value}")
    else:
        text = t(lang, "error.upstream")
    if request_id:
        text += "\n" + t(lang, "error.request_id", request_id=request_id)
    return text


def failure_text(lang: str, failure: TurnFailed | WenwenError, model: str = "") -> str:
    if isinstance(failure, TurnFailed):
        return error_text(lang, failure.kind, failure.message, model=failure.model, request_id=failure.request_id)
    return error_text(lang, failure.kind, failure.message, model=model, request_id=failure.request_id)
