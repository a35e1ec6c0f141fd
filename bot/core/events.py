"""Events `core` yields to whoever renders a turn. Plain values, no Telegram types."""

from __future__ import annotations

from dataclasses import dataclass

from bot.wenwen import ErrorKind

from .limits import LimitReached


@dataclass(frozen=True, slots=True)
class TurnStarted:
    """An answer is being made (the request is on its way): time to show that something is coming."""

    answer_id: int


@dataclass(frozen=True, slots=True)
class LimitHit:
    """The user is over a daily limit: no request was made."""

    reached: LimitReached
    answer_id: int


@dataclass(frozen=True, slots=True)
class SearchUnavailable:
    """Web search is on, but this model cannot search in the format it is spoken to (said once per chat)."""

    model: str
    can_search: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImagesSkipped:
    """Images of the conversation that are not readable images were left out (and will not be sent again)."""

    count: int


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    """New answer text arrived; `text` is the whole answer so far."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningUpdate:
    """New reasoning text arrived; `text` is all reasoning so far."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolStep:
    """A tool runs: one of the bot's (`detail` empty) or one the gateway ran (web search, MCP)."""

    name: str
    detail: str


@dataclass(frozen=True, slots=True)
class Sources:
    """Web pages the answer cites (url, title), so far."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class TurnDone:
    """The answer ended. `partial` when /stop cut it short (the text is kept and stored).

    `reasoning`, `steps` and `sources` are shown with the answer, never stored as it.
    """

    text: str
    model: str
    answer_id: int
    partial: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning: str = ""
    steps: tuple[tuple[str, str], ...] = ()
    sources: tuple[tuple[str, str], ...] = ()


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


TurnEvent = (
    TurnStarted
    | AnswerDelta
    | ReasoningUpdate
    | TurnDone
    | TurnFailed
    | ModelSwitched
    | AnswerImages
    | ToolStep
    | Sources
    | ImagesSkipped
    | LimitHit
    | SearchUnavailable
)
