"""Events `core` yields to whoever renders a turn. Plain values, no Telegram types."""

from __future__ import annotations

from dataclasses import dataclass

from bot.wenwen import ErrorKind


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    """New answer text arrived; `text` is the whole answer so far."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """New reasoning text arrived; `text` is all reasoning so far."""

    text: str


@dataclass(frozen=True, slots=True)
class TurnDone:
    """The answer ended. `partial` when /stop cut it short (the text is kept and stored)."""

    text: str
    model: str
    answer_id: int
    partial: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True, slots=True)
class TurnFailed:
    """The gateway failed. `text` is what had arrived before (stored as partial when not empty)."""

    kind: ErrorKind
    message: str
    model: str
    request_id: str | None = None
    status: int | None = None
    text: str = ""
    answer_id: int | None = None


@dataclass(frozen=True, slots=True)
class ModelSwitched:
    """This turn has images the chat's model cannot see: `model` answers it instead."""

    model: str
    chat_model: str
    first_time: bool


@dataclass(frozen=True, slots=True)
class AnswerImages:
    """Images the answer carried (image models through chat), after its text."""

    images: tuple[bytes, ...]


TurnEvent = AnswerDelta | ReasoningDelta | TurnDone | TurnFailed | ModelSwitched | AnswerImages
