"""Conversation titles: the first message's words at once, then a short one the model writes in the background.

The model's title is one small non-streaming request after a conversation's first answer. It is a paid
call the user caused, so it is reserved against their daily limits like any other (skipped when they are
over one) and its tokens are counted (they show in /usage). It never delays a turn, and a failure is
only logged: the conversation keeps the title made from its first message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re

from bot.wenwen import ChatMessage, ChatRequest, WenwenClient, WenwenError
from storage import HistoryRepository

from .context import estimate_tokens
from .limits import DailyLimits

log = logging.getLogger(__name__)

FIRST_TITLE_CHARS = 48  # a title made from the first message
TITLE_CHARS = 60  # any title, the user's own included
TITLE_WORDS = 6  # a model-written title
EXCERPT_CHARS = 1500  # of the question and of the answer, in the title request
TITLE_MAX_TOKENS = 32
TITLE_PROMPT = (
    "Write a title for this conversation in at most 6 words, in the language the user wrote in. "
    "Answer with the title only: no quotes, no label, no final punctuation."
)
_LABEL = re.compile(r"^\s*(title|标题|題目|题目)\s*[:：]\s*", re.IGNORECASE)
_WRAPPERS = " \t\"'“”‘’「」『』《》*#`_"
_END_PUNCTUATION = " .。!！,，;；:：、"


def clean_title(text: str, limit: int = TITLE_CHARS) -> str:
    """Whitespace collapsed and control characters dropped, at most `limit` characters (cut at a word, with …)."""
    words = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(_END_PUNCTUATION) + "…"


def first_message_title(text: str) -> str:
    """A title from the first user message: quoted lines (a reply's quote) left out, trimmed to a short line."""
    own = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return clean_title(" ".join(own) if any(line.strip() for line in own) else text, FIRST_TITLE_CHARS)


def model_title(answer: str) -> str | None:
    """The model's answer as a title: its first line without a label, quotes or end punctuation, ≤ 6 words."""
    line = next((line for line in answer.splitlines() if line.strip()), "")
    line = _LABEL.sub("", line).strip(_WRAPPERS).rstrip(_END_PUNCTUATION).strip(_WRAPPERS)
    title = clean_title(" ".join(line.split()[:TITLE_WORDS]))
    return title or None


def title_request(model: str, question: str, answer: str) -> ChatRequest:
    excerpt = f"User: {question[:EXCERPT_CHARS]}\n\nAssistant: {answer[:EXCERPT_CHARS]}"
    messages = [ChatMessage("system", TITLE_PROMPT), ChatMessage("user", excerpt)]
    return ChatRequest(model, messages, max_tokens=TITLE_MAX_TOKENS)


class TitleWriter:
    """Writes model titles in background tasks that `close` cancels and waits for (at shutdown)."""

    def __init__(
        self, client: WenwenClient, history: HistoryRepository, limits: DailyLimits, model: str | None
    ) -> None:
        self._client = client
        self._history = history
        self._limits = limits
        self._model = model  # None: titles stay the first message's words
        self._tasks: dict[int, asyncio.Task[None]] = {}  # conversation id → its title being written
        self._closed = False

    def schedule(self, conversation_id: int, user_id: int, question: str, answer: str) -> None:
        """Ask for a title after the conversation's first answer; returns at once."""
        if self._model is None or self._closed or conversation_id in self._tasks:
            return
        task = asyncio.create_task(
            self._write(conversation_id, user_id, self._model, question, answer), name=f"title:{conversation_id}"
        )
        self._tasks[conversation_id] = task
        task.add_done_callback(lambda _done: self._tasks.pop(conversation_id, None))

    async def idle(self) -> None:
        """Wait until every title being written is done (tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def close(self) -> None:
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _write(self, conversation_id: int, user_id: int, model: str, question: str, answer: str) -> None:
        try:
            if await self._history.has_title(conversation_id):
                return  # written already (an answer made again), named by the user, or deleted
            if await self._limits.reserve(user_id, model) is not None:
                log.info("no title for conversation %s: the user is over a daily limit", conversation_id)
                return
            title = await self._ask(conversation_id, user_id, model, title_request(model, question, answer))
            if title:
                await self._history.set_model_title(conversation_id, title)
        except asyncio.CancelledError:
            raise
        except Exception:  # a background nicety: never let it disturb anything else
            log.exception("writing the title of conversation %s failed", conversation_id)

    async def _ask(self, conversation_id: int, user_id: int, model: str, request: ChatRequest) -> str | None:
        answered = False
        try:
            completion = await self._client.chat(request)
            answered = True
        except WenwenError as error:
            log.warning("the title request for conversation %s failed: %s", conversation_id, error)
            return None
        finally:
            if not answered:  # refused, failed or cut off: the gateway bills nothing, nor do the limits
                await asyncio.shield(self._limits.give_back(user_id, model))
        text = (completion.choices[0].message.content or "") if completion.choices else ""
        usage = completion.usage
        prompt = usage.prompt_tokens if usage else sum(estimate_tokens(str(m.content)) for m in request.messages)
        written = usage.completion_tokens if usage else estimate_tokens(text)
        await self._limits.add_tokens(user_id, model, prompt, written)
        return model_title(text)
