"""What the Midjourney side of core reports to whoever renders it. Plain values, no Telegram types."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.limits import LimitReached
from bot.wenwen import ErrorKind
from storage import MjButtonRow, MjTaskRow


@dataclass(frozen=True, slots=True)
class MjStarted:
    task: MjTaskRow


@dataclass(frozen=True, slots=True)
class MjNeedsPrompt:
    """The task waits for a prompt (Custom Zoom, remix): ask the user, then call `submit_prompt`."""

    task: MjTaskRow


@dataclass(frozen=True, slots=True)
class MjRefused:
    """The submit or press did nothing; `kind` says why."""

    kind: ErrorKind | str
    message: str = ""
    banned_word: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class MjProgress:
    task: MjTaskRow
    percent: int | None
    preview: bytes | None = None


@dataclass(frozen=True, slots=True)
class MjFinished:
    task: MjTaskRow
    image: bytes | None
    content_type: str
    buttons: list[MjButtonRow] = field(default_factory=list)
    describe_prompts: list[str] = field(default_factory=list)
    video: bytes | None = None  # an MJ video task's result (then `content_type` is the video's)


@dataclass(frozen=True, slots=True)
class MjFailed:
    task: MjTaskRow
    reason: str
    timed_out: bool = False
    undeliverable: bool = False  # finished, but Telegram kept refusing the result
    fate_unknown: bool = False  # a restart cut its submit off: it may run at the gateway, unseen


@dataclass(frozen=True, slots=True)
class MjSeed:
    seed: str


@dataclass(frozen=True, slots=True)
class MjFile:
    """The full-resolution file of a finished task."""

    task: MjTaskRow
    image: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class MjLimited:
    """The user is over a daily limit: nothing was submitted."""

    reached: LimitReached


MjOutcome = MjStarted | MjNeedsPrompt | MjRefused | MjSeed | MjFile | MjLimited
MjPollEvent = MjProgress | MjNeedsPrompt | MjFinished | MjFailed
