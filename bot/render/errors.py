"""A failed turn as a short message in the user's language: what happened and what to do."""

from __future__ import annotations

from bot.core.events import TurnFailed
from bot.i18n import t
from bot.wenwen import ErrorKind


def failure_text(lang: str, failure: TurnFailed) -> str:
    if failure.kind == ErrorKind.BAD_REQUEST:
        text = t(lang, "error.bad_request", detail=failure.message[:300])
    elif failure.kind == ErrorKind.MODEL_UNAVAILABLE:
        text = t(lang, "error.model_unavailable", model=failure.model)
    else:
        text = t(lang, f"error.{failure.kind.value}")
    if failure.request_id:
        text += "\n" + t(lang, "error.request_id", request_id=failure.request_id)
    return text
