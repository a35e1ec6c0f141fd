"""A failure as a short message in the user's language: what happened and what to do."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.errors import ErrorKind, WenwenError
from bot.core.events import TurnFailed
from bot.core.limits import LimitReached
from bot.i18n import MESSAGES, t


def error_text(lang: str, kind: ErrorKind, message: str, *, model: str = "", request_id: str | None = None) -> str:
    if kind == ErrorKind.BAD_REQUEST:
        text = t(lang, "error.bad_request", detail=message[:300])
    elif kind in (ErrorKind.MODEL_UNAVAILABLE, ErrorKind.EMPTY_ANSWER, ErrorKind.VISION_REFUSED):
        text = t(lang, f"error.{kind.value}", model=model or "?")
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


def limit_text(lang: str, reached: LimitReached) -> str:
    """Which daily limit stopped the call, what was used, and when it resets (UTC midnight)."""
    left = max(0, int((reached.resets_at - datetime.now(UTC)).total_seconds()) // 60)
    return t(
        lang,
        f"limit.{reached.limit}",
        used=f"{reached.used:,}",
        allowed=f"{reached.allowed:,}",
        reset=f"{reached.resets_at:%H:%M} UTC",
        hours=left // 60,
        minutes=left % 60,
    )


def speech_failure_text(lang: str, error: WenwenError) -> str:
    """Why a voice could not be made (account problems read as everywhere else)."""
    if error.kind in (ErrorKind.INVALID_KEY, ErrorKind.QUOTA, ErrorKind.RATE_LIMITED):
        return error_text(lang, error.kind, error.message, request_id=error.request_id)
    return t(lang, "voice.tts_failed", reason=error.message[:300] or str(error.status or "?"))


def transcription_failure_text(lang: str, error: WenwenError) -> str:
    """Why a recording could not be transcribed: the gateway's own words, and advice that fits."""
    if error.kind in (ErrorKind.INVALID_KEY, ErrorKind.QUOTA, ErrorKind.RATE_LIMITED, ErrorKind.MODEL_UNAVAILABLE):
        return error_text(lang, error.kind, error.message, request_id=error.request_id)
    return t(lang, "error.transcription", detail=error.message[:300] or str(error.status or "?"))
