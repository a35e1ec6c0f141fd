"""One answer from the gateway: stream it, run the tools the model calls, stream again (bounded)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace

from bot.wenwen import (
    ChatMessage,
    ChatRequest,
    ErrorKind,
    Finish,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    UsageReport,
    WenwenClient,
    WenwenError,
)
from bot.wenwen.types import Citation, ServerToolActivity, ToolCall, ToolCallRequested

from .answer_media import display_text
from .events import AnswerDelta, ReasoningUpdate, Sources, ToolStep, TurnDone, TurnEvent
from .stream_guard import until_stopped
from .tools import ToolBudget, ToolRegistry

log = logging.getLogger(__name__)

MAX_TOOL_ROUNDS = 4


@dataclass(slots=True)
class Progress:
    text: str = ""
    reasoning: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    steps: list[tuple[str, str]] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)
    first_text_at: float | None = None  # time.monotonic() of the first answer text (latency metrics)

    def done(self, text: str, model: str, answer_id: int, partial: bool) -> TurnDone:
        """The `TurnDone` of this answer, with `text` (the stored form) as its text."""
        return TurnDone(
            text,
            model,
            answer_id,
            partial,
            self.prompt_tokens,
            self.completion_tokens,
            self.reasoning,
            tuple(self.steps),
            tuple(self.sources),
        )


async def stream_answer(
    client: WenwenClient,
    request: ChatRequest,
    tools: ToolRegistry,
    stop: asyncio.Event,
    progress: Progress,
    budget: ToolBudget | None = None,
) -> AsyncIterator[TurnEvent]:
    """Events of the whole answer; tool results go back to the model, at most MAX_TOOL_ROUNDS times."""
    budget = budget or ToolBudget()
    for round_number in range(MAX_TOOL_ROUNDS + 1):
        calls: list[ToolCall] = []
        before = len(progress.text)
        try:
            async for event in until_stopped(client.chat_stream(request), stop):
                if isinstance(event, ToolCallRequested):
                    calls.append(event.call)
                    continue
                update = _apply(progress, event)
                if update is not None:
                    yield update
        except WenwenError as error:
            # Some models refuse the `tools` field; answer without tools rather than not at all — but only
            # when the refusal is about tools (a bad key or a content filter must not cost two requests).
            if not (request.tools and _about_tools(error) and len(progress.text) == before):
                raise
            log.info("the gateway refused tools for %s (%s); asking again without them", request.model, error)
            request = replace(request, tools=())
            continue
        if stop.is_set() or not calls:
            return
        results: list[ChatMessage] = []
        for call in calls:
            progress.steps.append((call.name, ""))
            yield ToolStep(call.name, "")
            outcome = await tools.run(call, budget)
            progress.images.extend(outcome.images)
            results.append(ChatMessage("tool", outcome.text, tool_call_id=call.id))
        said = progress.text[before:]
        messages = [*request.messages, ChatMessage("assistant", said, tool_calls=tuple(calls)), *results]
        last_round = round_number + 1 >= MAX_TOOL_ROUNDS
        request = replace(request, messages=messages, tools=() if last_round else request.tools)


_TOOLS_WORDS = re.compile(r"tool|function|tool_choice", re.IGNORECASE)


def _about_tools(error: WenwenError) -> bool:
    return error.kind == ErrorKind.BAD_REQUEST and bool(_TOOLS_WORDS.search(f"{error.message} {error.code or ''}"))


def _apply(progress: Progress, event: StreamEvent) -> TurnEvent | None:
    if isinstance(event, TextDelta):
        if progress.first_text_at is None and event.text:
            progress.first_text_at = time.monotonic()
        progress.text += event.text
        return AnswerDelta(display_text(progress.text, streaming=True))
    if isinstance(event, ReasoningDelta):
        progress.reasoning += event.text
        return ReasoningUpdate(progress.reasoning)
    if isinstance(event, UsageReport):
        progress.prompt_tokens += event.prompt_tokens
        progress.completion_tokens += event.completion_tokens
    if isinstance(event, Citation):
        progress.sources.append((event.url, event.title))
        return Sources(tuple(progress.sources))
    if isinstance(event, ServerToolActivity):
        progress.steps.append((event.name, event.detail))
        return ToolStep(event.name, event.detail)
    if isinstance(event, Finish) and event.reason == "length":
        log.info("answer hit the token limit (finish_reason=length)")
    return None
