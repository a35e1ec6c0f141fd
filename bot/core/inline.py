"""Inline mode without Telegram types: one-off answers that no conversation keeps, and who is running which.

An inline answer is asked for in any chat (`@bot question`), shown in one inline message and stored
nowhere: no conversation row, no history. It is a paid call like a turn, so the daily limits are
reserved before it and given back when it fails before a word, and its tokens are counted.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

from bot.wenwen import ChatMessage, ChatRequest, ErrorKind, WenwenClient, WenwenError
from storage import ChatKey

from .answer_loop import Progress, stream_answer
from .answer_media import display_text
from .context import estimate_tokens
from .events import LimitHit, TurnDone, TurnEvent, TurnFailed
from .limits import DailyLimits
from .tools import ToolRegistry

MAX_QUESTION = 256  # characters; Telegram sends at most this many in an inline query
MAX_RUNNING_PER_USER = 2  # inline answers one user may have streaming at once
NO_ANSWER_ROW = 0  # the answer_id of events of an inline answer: there is no stored row

TurnLog = Callable[[str, Progress, float, str], None]  # (model, progress, started, status)


def inline_question(text: str) -> str:
    """The question of an inline query: trimmed and bounded (a client may send more than Telegram does)."""
    return text.strip()[:MAX_QUESTION].strip()


def one_off_messages(system_prompt: str | None, question: str) -> list[ChatMessage]:
    messages = [ChatMessage("system", system_prompt)] if system_prompt else []
    return [*messages, ChatMessage("user", question)]


@dataclass(frozen=True, slots=True)
class OneOff:
    """What a one-off answer needs from the conversation service."""

    client: WenwenClient
    limits: DailyLimits
    log: TurnLog


async def answer_once(
    deps: OneOff, request: ChatRequest, user_id: int, stop: asyncio.Event
) -> AsyncIterator[TurnEvent]:
    """Stream one answer to `request` (no tools: an inline message shows text only); nothing is stored."""
    request = replace(request, tools=())
    model = request.model
    reached = await deps.limits.reserve(user_id, model)
    if reached is not None:
        yield LimitHit(reached, NO_ANSWER_ROW)
        return
    progress, started = Progress(), time.monotonic()
    try:
        async for update in stream_answer(deps.client, request, ToolRegistry([]), stop, progress):
            yield update
    except WenwenError as error:
        if progress.text.strip() or progress.prompt_tokens:
            await deps.limits.add_tokens(user_id, model, progress.prompt_tokens, progress.completion_tokens)
        else:  # failed before an answer: the gateway does not bill it, nor do the limits
            await deps.limits.give_back(user_id, model)
        deps.log(model, progress, started, f"error:{error.kind}")
        shown = display_text(progress.text)
        yield TurnFailed(error.kind, error.message, model, error.request_id, error.status, shown)
        return
    stopped = stop.is_set()
    if not progress.completion_tokens and progress.text:
        progress.completion_tokens = estimate_tokens(progress.text)
    await deps.limits.add_tokens(user_id, model, progress.prompt_tokens, progress.completion_tokens)
    deps.log(model, progress, started, "stopped" if stopped else "ok")
    text = display_text(progress.text)
    if not text.strip():
        if stopped:
            yield TurnDone("", model, NO_ANSWER_ROW, partial=True)
        else:
            yield TurnFailed(ErrorKind.EMPTY_ANSWER, "the model returned an empty answer", model)
        return
    yield progress.done(text, model, NO_ANSWER_ROW, stopped)


@dataclass(frozen=True, slots=True)
class InlineRun:
    key: ChatKey  # the turn's place in TurnRegistry / ChatTurnQueue (chat 0: no real chat has it)
    owner: int


class InlineRuns:
    """Inline answers being written: which inline message is whose, bounded per user."""

    def __init__(self, per_user: int = MAX_RUNNING_PER_USER) -> None:
        self._per_user = per_user
        self._runs: dict[str, InlineRun] = {}
        self._numbers = itertools.count(1)

    def start(self, inline_message_id: str, owner: int) -> InlineRun | None:
        """A new run for the message, or None when it already has one or the user has too many running."""
        if inline_message_id in self._runs:
            return None
        if sum(run.owner == owner for run in self._runs.values()) >= self._per_user:
            return None
        run = InlineRun(ChatKey(0, next(self._numbers)), owner)
        self._runs[inline_message_id] = run
        return run

    def end(self, inline_message_id: str) -> None:
        self._runs.pop(inline_message_id, None)

    def get(self, inline_message_id: str) -> InlineRun | None:
        return self._runs.get(inline_message_id)

    def busy(self, owner: int) -> bool:
        return sum(run.owner == owner for run in self._runs.values()) >= self._per_user

    def __len__(self) -> int:
        return len(self._runs)
