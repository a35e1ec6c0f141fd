"""A conversation turn: build the request, stream the answer as events, persist the result."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from bot.wenwen import (
    ChatMessage,
    ChatRequest,
    ErrorKind,
    McpServer,
    WenwenClient,
    WenwenError,
)
from bot.wenwen.types import ApiFormat
from storage import NO_ANSWER, ChatKey, ChatSettings, DayTotals, MessageStatus, Storage, StoredDocument, StoredMessage
from storage.conversations import NO_ANSWER_TOKENS

from .answer_loop import Progress, stream_answer
from .answer_media import AnswerMedia, display_text, storable_text
from .checkpoint import Checkpoint
from .context import IMAGE_TOKENS, build_messages, estimate_tokens, history_budget, quote_block
from .document_reader import DocumentReader
from .events import (
    AnswerImages,
    ImagesSkipped,
    LimitHit,
    ModelSwitched,
    SearchUnavailable,
    TurnDone,
    TurnEvent,
    TurnFailed,
    TurnStarted,
)
from .formats import FormatChooser
from .images import inspect_image_async
from .inline import OneOff, answer_once, one_off_messages
from .limits import DailyLimits
from .models import calls_tools, searches_in_chat
from .titles import TitleWriter
from .tools import ToolBudget, ToolRegistry
from .usage_report import UsageSummary, usage_report
from .vision import ImageFetcher, RequestImages, images_for, refused_for_images, sees_images

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger("bot.turn")


@dataclass(frozen=True, slots=True)
class Quote:
    """The message a user replied to."""

    tg_message_id: int
    text: str


@dataclass(frozen=True, slots=True)
class UserTurn:
    chat: ChatKey
    user_id: int
    text: str
    tg_message_id: int | None = None
    quote: Quote | None = None
    images: tuple[str, ...] = ()  # Telegram file ids; the bytes are fetched when the answer is made
    lang: str | None = None  # the language the user reads (kept, so a restart answers in it)
    documents: tuple[StoredDocument, ...] = ()  # files by file id; their text is read again for each request
    document_tokens: int = 0  # what the documents' text costs in a request (as first read)


THINKING_BUDGETS = {"low": 1024, "medium": 4096, "high": 16384}


class ConversationService:
    def __init__(
        self,
        client: WenwenClient,
        storage: Storage,
        *,
        default_model: str,
        max_context_tokens: int,
        max_answer_tokens: int | None = None,
        vision_model: str = "gpt-4o-mini",
        image_history_turns: int = 3,
        document_max_tokens: int = 30_000,
        formats: FormatChooser | None = None,
        tools: ToolRegistry | None = None,
        mcp_servers: tuple[McpServer, ...] = (),
        limits: DailyLimits | None = None,
        metrics: Metrics | None = None,
        titles: TitleWriter | None = None,
    ) -> None:
        self._metrics = metrics
        self._titles = titles  # a title is asked for after a conversation's first answer
        self._client = client
        self._storage = storage
        self._default_model = default_model
        self._max_context_tokens = max_context_tokens
        self._max_answer_tokens = max_answer_tokens
        self._vision_model = vision_model
        self._image_history_turns = image_history_turns
        self.documents = DocumentReader(storage.settings, default_model, max_context_tokens, document_max_tokens)
        self._media = AnswerMedia(client.http.public)
        self._formats = formats
        self._tools = tools or ToolRegistry([])
        self._mcp_servers = mcp_servers
        self._limits = limits or DailyLimits(storage.usage, DayTotals(), lambda _user: False)

    # ------------------------------------------------------------------ settings

    async def model_for(self, chat: ChatKey) -> str:
        return (await self._storage.settings.get(chat)).model or self._default_model

    async def set_model(self, chat: ChatKey, model: str) -> None:
        await self._storage.settings.set_model(chat, model)

    async def system_prompt(self, chat: ChatKey) -> str | None:
        return (await self._storage.settings.get(chat)).system_prompt

    async def set_system_prompt(self, chat: ChatKey, prompt: str | None) -> None:
        await self._storage.settings.set_system_prompt(chat, prompt.strip() if prompt and prompt.strip() else None)

    async def usage(self, user_id: int) -> UsageSummary:
        """Tokens the user spent, today and over the last 30 days, per model."""
        return await usage_report(self._storage.usage, user_id, self._limits.today())

    async def usage_by_user(self, days: int = 30) -> list[tuple[int, int, int, int]]:
        """Everyone's usage (for admins): (user id, requests, prompt tokens, completion tokens)."""
        return await self._storage.usage.totals_by_user(self._limits.today(), days)

    async def usage_by_day(self, days: int = 30) -> list[tuple[str, DayTotals]]:
        """Everyone's requests, tokens and images per day (for the admins' chart)."""
        return await self._storage.usage.totals_by_day(self._limits.today(), days)

    async def settings(self, chat: ChatKey) -> ChatSettings:
        return await self._storage.settings.get(chat)

    async def change_setting(self, chat: ChatKey, name: str, value: str | int | None) -> ChatSettings:
        """One of the /settings values (format, thinking, web search, tools, voice, language)."""
        await self._storage.settings.set(chat, name, value)
        return await self._storage.settings.get(chat)

    async def voice_replies(self, chat: ChatKey) -> bool:
        return (await self._storage.settings.get(chat)).voice_replies

    async def set_voice_replies(self, chat: ChatKey, enabled: bool) -> None:
        await self._storage.settings.set_voice_replies(chat, enabled)

    async def new_conversation(self, chat: ChatKey) -> None:
        await self._storage.conversations.start_new(chat)

    # ------------------------------------------------------------------ turns

    async def add_user_message(self, turn: UserTurn) -> None:
        """Store what the user said the moment it arrives (images by file id); `answer` answers it."""
        conversation = await self._storage.conversations.active(turn.chat)
        content = turn.text
        if turn.quote and turn.quote.text.strip():
            budget = history_budget(await self.model_for(turn.chat), self._max_context_tokens)
            recent = await self._storage.conversations.window(conversation, budget)
            if not _mentions(recent, turn.quote.tg_message_id):
                content = f"{quote_block(turn.quote.text)}\n\n{turn.text}"
        await self._storage.conversations.add_message(
            conversation,
            "user",
            content,
            token_estimate=estimate_tokens(content) + IMAGE_TOKENS * len(turn.images) + turn.document_tokens,
            user_id=turn.user_id,
            tg_message_id=turn.tg_message_id,
            attachments=turn.images,
            documents=turn.documents,
            lang=turn.lang,
        )

    async def answer(
        self, chat: ChatKey, user_id: int, stop: asyncio.Event, fetch_image: ImageFetcher | None = None
    ) -> AsyncIterator[TurnEvent]:
        """Answer everything the chat said since its last answer, in one turn; nothing when all is answered."""
        conversation = await self._storage.conversations.active(chat)
        answer_row = await self._storage.conversations.begin_answer(conversation)
        if answer_row is None:
            return
        async for event in self._answer(chat, user_id, conversation, answer_row, stop, fetch_image):
            yield event

    async def retry(
        self, chat: ChatKey, user_id: int, stop: asyncio.Event, fetch_image: ImageFetcher | None = None
    ) -> AsyncIterator[TurnEvent]:
        """Answer the last question again; the old answer is kept on disk, out of the context."""
        conversation = await self._storage.conversations.active(chat)
        last = await self._storage.conversations.last_messages(conversation, 1)
        if last and last[-1].role == "assistant":
            await self._storage.conversations.supersede(last[-1].id)
        async for event in self.answer(chat, user_id, stop, fetch_image):
            yield event

    async def take_back(self, chat: ChatKey, answer_id: int) -> bool:
        """Set the chat's last answer aside so its question is answered again (🔄); False if it is not the last."""
        conversation = await self._storage.conversations.active(chat)
        return await self._storage.conversations.supersede_if_last(conversation, answer_id)

    async def answer_once(
        self, chat: ChatKey, user_id: int, question: str, stop: asyncio.Event
    ) -> AsyncIterator[TurnEvent]:
        """A one-off answer to `question` with the chat's settings (inline mode): stored in no conversation."""
        settings = await self._storage.settings.get(chat)
        model = settings.model or self._default_model
        request = await self._request(model, settings, one_off_messages(settings.system_prompt, question))
        log = partial(self._log, chat)
        async for event in answer_once(OneOff(self._client, self._limits, log), request, user_id, stop):
            yield event

    async def has_history(self, chat: ChatKey) -> bool:
        conversation = await self._storage.conversations.active(chat)
        return bool(await self._storage.conversations.last_messages(conversation, 1))

    async def attach_reply_ids(self, answer_id: int, tg_message_ids: tuple[int, ...]) -> None:
        """Remember which Telegram messages show an answer (replies to them continue the thread)."""
        await self._storage.conversations.set_reply_ids(answer_id, tg_message_ids)

    async def mark_delivered(self, answer_id: int, tg_message_ids: tuple[int, ...] | None = None) -> None:
        """The chat shows the answer (or its error): a restart has nothing left to do for it."""
        await asyncio.shield(self._storage.conversations.mark_delivered(answer_id, tg_message_ids))

    async def _answer(
        self,
        chat: ChatKey,
        user_id: int,
        conversation: int,
        answer_row: int,
        stop: asyncio.Event,
        fetch_image: ImageFetcher | None,
    ) -> AsyncIterator[TurnEvent]:
        yield TurnStarted(answer_row)
        settings = await self._storage.settings.get(chat)
        model = settings.model or self._default_model
        system_prompt = settings.system_prompt
        budget = history_budget(model, self._max_context_tokens)
        budget -= estimate_tokens(system_prompt) if system_prompt else 0
        history = await self._storage.conversations.window(conversation, max(budget, 256), before_id=answer_row)
        images = await images_for(history, fetch_image, self._image_history_turns)
        documents = await self.documents.for_request(history, fetch_image, max(budget, 256))
        if images.unreadable:
            await self._storage.conversations.refuse_images(images.unreadable)
            yield ImagesSkipped(len(images.unreadable))
        if images.by_file_id and not sees_images(model) and self._vision_model != model:
            yield ModelSwitched(self._vision_model, model, not settings.vision_notice_shown)
            if not settings.vision_notice_shown:
                await self._storage.settings.mark_vision_notice_shown(chat)
            model = self._vision_model
        reached = await self._limits.reserve(user_id, model)
        if reached is not None:
            await self._finish(answer_row, model, Progress(), MessageStatus.FAILED)
            yield LimitHit(reached, answer_row)
            return
        messages = build_messages(system_prompt, history, images.by_file_id, documents)
        request = await self._request(model, settings, messages)
        if settings.web_search and not request.web_search and not settings.search_notice_shown:
            await self._storage.settings.set(chat, "search_notice_shown", 1)
            found = await self._formats.search_models() if self._formats is not None else []
            yield SearchUnavailable(model, tuple(found))
        images.by_file_id.clear()  # the request holds the only copy now
        progress = Progress()
        started = time.monotonic()
        checkpoint = Checkpoint(self._storage.conversations, answer_row, started)
        try:
            tool_budget = ToolBudget(user_id=user_id)
            async for update in stream_answer(self._client, request, self._tools, stop, progress, tool_budget):
                await checkpoint.maybe(progress.text)
                yield update
        except WenwenError as error:
            await self._finish(answer_row, model, progress, MessageStatus.PARTIAL)
            if progress.text.strip() or progress.prompt_tokens:
                await self._limits.add_tokens(user_id, model, progress.prompt_tokens, progress.completion_tokens)
            else:  # failed before an answer: the gateway does not bill it, nor do the limits
                await self._limits.give_back(user_id, model)
            if images.message_ids and refused_for_images(error):
                await self._storage.conversations.refuse_images(images.message_ids)
            self._log(chat, model, progress, started, f"error:{error.kind}")
            shown = display_text(progress.text)
            kind = ErrorKind.VISION_REFUSED if images.message_ids and refused_for_images(error) else error.kind
            yield TurnFailed(kind, error.message, model, error.request_id, error.status, shown, answer_row)
            return
        async for event in self._done(chat, user_id, answer_row, model, progress, stop.is_set(), started, images):
            yield event
        if self._titles is not None and progress.text.strip() and not _answered_before(history):
            question = "\n\n".join(m.content for m in history if m.role == "user")
            self._titles.schedule(conversation, user_id, question, progress.text)

    async def _done(
        self,
        chat: ChatKey,
        user_id: int,
        answer_row: int,
        model: str,
        progress: Progress,
        stopped: bool,
        started: float,
        images: RequestImages,
    ) -> AsyncIterator[TurnEvent]:
        """Store and report an answer that ended normally (or was stopped)."""
        await self._finish(answer_row, model, progress, MessageStatus.PARTIAL if stopped else MessageStatus.COMPLETE)
        if not progress.completion_tokens:
            progress.completion_tokens = estimate_tokens(progress.text) if progress.text else 0
        await self._limits.add_tokens(user_id, model, progress.prompt_tokens, progress.completion_tokens)
        self._log(chat, model, progress, started, "stopped" if stopped else "ok")
        if not progress.text.strip():
            if stopped:
                await self.mark_delivered(answer_row)  # stopped before a word: nothing to show
                yield TurnDone("", model, 0, partial=True)
                return
            if images.message_ids:  # an empty answer to a request with images: the images are the likely cause
                await self._storage.conversations.refuse_images(images.message_ids)
                reason = "empty answer to a request with images"
                yield TurnFailed(ErrorKind.VISION_REFUSED, reason, model, answer_id=answer_row)
                return
            yield TurnFailed(ErrorKind.EMPTY_ANSWER, "the model returned an empty answer", model, answer_id=answer_row)
            return
        shown = await self._media.collect(progress.text)
        yield progress.done(shown.text, model, answer_row, stopped)
        pictures = [image for image in progress.images if await inspect_image_async(image) is not None]
        if pictures or shown.images:
            yield AnswerImages((*pictures, *shown.images))

    async def _request(self, model: str, settings: ChatSettings, messages: list[ChatMessage]) -> ChatRequest:
        """The request in the model's format, with the chat's thinking, web search and tools."""
        api_format: ApiFormat = "chat"
        if self._formats is not None:
            api_format = await self._formats.choose(model, settings.api_format, web_search=settings.web_search)
        thinking = settings.thinking
        budget = THINKING_BUDGETS.get(settings.thinking_level) if thinking and api_format == "messages" else None
        return ChatRequest(
            model,
            messages,
            max_tokens=self._max_answer_tokens,
            api_format=api_format,
            tools=self._tools.specs() if settings.tools and calls_tools(model) else (),
            reasoning_effort=settings.thinking_level if thinking and api_format != "messages" else None,
            thinking_budget=budget,
            web_search=settings.web_search
            and (api_format == "responses" or (api_format == "chat" and searches_in_chat(model))),
            mcp_servers=self._mcp_servers if api_format == "messages" else (),
        )

    async def _finish(self, answer_row: int, model: str, progress: Progress, status: MessageStatus) -> None:
        """The answer row gets the text (FAILED when none came). Shielded: a cancelled turn still stores it."""
        stored = storable_text(progress.text) if progress.text.strip() else ""
        await asyncio.shield(
            self._storage.conversations.finish_answer(
                answer_row,
                stored,
                status if stored else MessageStatus.FAILED,
                token_estimate=estimate_tokens(stored) if stored else NO_ANSWER_TOKENS,
                model=model,
                prompt_tokens=progress.prompt_tokens or None,
                completion_tokens=progress.completion_tokens or None,
            )
        )

    def _log(self, chat: ChatKey, model: str, progress: Progress, started: float, status: str) -> None:
        latency = time.monotonic() - started
        first = progress.first_text_at - started if progress.first_text_at is not None else None
        fields = {"chat": chat.chat_id, "topic": chat.thread_id, "model": model, "status": status}
        fields |= {"prompt_tokens": progress.prompt_tokens, "completion_tokens": progress.completion_tokens}
        fields |= {"chars": len(progress.text), "latency": round(latency, 3), "first_text": first and round(first, 3)}
        log.info(
            "turn chat=%s topic=%s model=%s prompt_tokens=%d completion_tokens=%d chars=%d latency=%.2fs status=%s",
            chat.chat_id,
            chat.thread_id,
            model,
            progress.prompt_tokens,
            progress.completion_tokens,
            len(progress.text),
            latency,
            status,
            extra=fields,  # separate fields for LOG_FORMAT=json
        )
        if self._metrics is not None:
            self._metrics.turn(status, model, latency, first)


def _answered_before(history: list[StoredMessage]) -> bool:
    return any(m.role == "assistant" and m.status not in NO_ANSWER for m in history)


def _mentions(history: list[StoredMessage], tg_message_id: int) -> bool:
    return any(m.tg_message_id == tg_message_id or tg_message_id in m.tg_reply_ids for m in history)
