"""Every inline button's callback data: one prefix per kind, a typed format and a strict parse for each.

Callback data comes back from Telegram as whatever a client sends, so it is parsed strictly: ASCII
digits only, bounded lengths, known names — anything else is None (the "unknown button" answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits (not "²"), within SQLite's 64-bit integers
_TOKEN = re.compile(r"[0-9a-f]{10}")

STOP = "stop"
INLINE_STOP = "istop"  # ⏹ on an inline answer (the press carries its inline_message_id)
MJ_PREFIX = "mj:"
MODEL_PREFIX = "model:"
MODELS_PAGE_PREFIX = "models:"
SETTINGS_PREFIX = "cfg:"
RETRY_PREFIX = "retry:"
SETTINGS_NAMES = frozenset({"model", "format", "thinking", "web_search", "tools", "voice", "language"})

# Patterns for PTB's CallbackQueryHandler: which handler a press goes to; the handler parses strictly.
STOP_PATTERN = rf"^{STOP}$"
INLINE_STOP_PATTERN = rf"^{INLINE_STOP}$"
MJ_PATTERN = rf"^{MJ_PREFIX}"
MODEL_PATTERN = rf"^({MODEL_PREFIX}|{MODELS_PAGE_PREFIX})"
SETTINGS_PATTERN = rf"^{SETTINGS_PREFIX}"
RETRY_PATTERN = rf"^{RETRY_PREFIX}"


def _id(text: str) -> int | None:
    return int(text) if _ID.fullmatch(text) else None


def mj(button_id: int) -> str:
    return f"{MJ_PREFIX}{button_id}"


def parse_mj(data: str) -> int | None:
    """The Midjourney button row id of `mj:<id>`."""
    return _id(data.removeprefix(MJ_PREFIX)) if data.startswith(MJ_PREFIX) else None


def model(token: str) -> str:
    return f"{MODEL_PREFIX}{token}"


def models_page(page: int) -> str:
    return f"{MODELS_PAGE_PREFIX}{page}"


@dataclass(frozen=True, slots=True)
class ModelPress:
    token: str | None = None  # a model was picked (its short token)
    page: int | None = None  # or a page of the list was asked for


def parse_model(data: str) -> ModelPress | None:
    if data.startswith(MODELS_PAGE_PREFIX):
        page = _id(data.removeprefix(MODELS_PAGE_PREFIX))
        return ModelPress(page=page) if page is not None and page < 10_000 else None
    if data.startswith(MODEL_PREFIX):
        token = data.removeprefix(MODEL_PREFIX)
        return ModelPress(token=token) if _TOKEN.fullmatch(token) else None
    return None


def setting(name: str) -> str:
    if name not in SETTINGS_NAMES:
        raise ValueError(f"unknown setting {name!r}")
    return f"{SETTINGS_PREFIX}{name}"


def parse_setting(data: str) -> str | None:
    name = data.removeprefix(SETTINGS_PREFIX) if data.startswith(SETTINGS_PREFIX) else ""
    return name if name in SETTINGS_NAMES else None


def retry(answer_id: int) -> str:
    return f"{RETRY_PREFIX}{answer_id}"


def parse_retry(data: str) -> int | None:
    """The stored answer row id of `retry:<id>` (the 🔄 button)."""
    return _id(data.removeprefix(RETRY_PREFIX)) if data.startswith(RETRY_PREFIX) else None


# /history and /find: `hist:<action>:<number>`: a page of the list, or a conversation row id to act on
HISTORY_PREFIX = "hist:"
HISTORY_PATTERN = rf"^{HISTORY_PREFIX}"
HISTORY_ACTIONS = {"page": "p", "open": "o", "rename": "r", "export": "e", "delete": "d", "confirm": "y"}
_HISTORY_NAMES = {code: name for name, code in HISTORY_ACTIONS.items()}
MAX_HISTORY_PAGE = 10_000


@dataclass(frozen=True, slots=True)
class HistoryPress:
    action: str  # a key of HISTORY_ACTIONS
    number: int  # the page (for "page"), else the conversation id


def history(action: str, number: int) -> str:
    if action not in HISTORY_ACTIONS or number < 0:
        raise ValueError(f"bad history button {action!r} {number}")
    return f"{HISTORY_PREFIX}{HISTORY_ACTIONS[action]}:{number}"


def parse_history(data: str) -> HistoryPress | None:
    code, colon, number = data.removeprefix(HISTORY_PREFIX).partition(":")
    value = _id(number) if data.startswith(HISTORY_PREFIX) and colon else None
    name = _HISTORY_NAMES.get(code)
    if value is None or name is None or (name == "page" and value >= MAX_HISTORY_PAGE):
        return None
    return HistoryPress(name, value)


# 🔁 under a video: `vid:<task row id>` makes it again with the same prompt and options
VIDEO_PREFIX = "vid:"
VIDEO_PATTERN = rf"^{VIDEO_PREFIX}"


def video_again(task_id: int) -> str:
    return f"{VIDEO_PREFIX}{task_id}"


def parse_video(data: str) -> int | None:
    """The task row id of `vid:<id>`."""
    return _id(data.removeprefix(VIDEO_PREFIX)) if data.startswith(VIDEO_PREFIX) else None


# /forget's confirm step: `fgt:y:<user id>` deletes, `fgt:n:<user id>` cancels; only that user may press either
FORGET_PREFIX = "fgt:"
FORGET_PATTERN = rf"^{FORGET_PREFIX}"
_FORGET_CHOICES = {"y": True, "n": False}


@dataclass(frozen=True, slots=True)
class ForgetPress:
    confirm: bool  # True: delete; False: cancel
    user_id: int  # who asked (and alone may answer)


def forget(confirm: bool, user_id: int) -> str:
    if user_id <= 0:
        raise ValueError(f"bad user id {user_id}")
    return f"{FORGET_PREFIX}{'y' if confirm else 'n'}:{user_id}"


def parse_forget(data: str) -> ForgetPress | None:
    choice, colon, user = data.removeprefix(FORGET_PREFIX).partition(":")
    user_id = _id(user) if data.startswith(FORGET_PREFIX) and colon else None
    if user_id is None or user_id == 0 or choice not in _FORGET_CHOICES:
        return None
    return ForgetPress(_FORGET_CHOICES[choice], user_id)
