"""A conversation turn: build the request, stream the answer as events, persist the result."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from bot.wenwen import ChatRequest, McpServer, WenwenClient, WenwenError
from storage import NO_ANSWER, ChatKey, ChatSettings, DayTotals, MessageStatus, Storage, StoredDocument, StoredMessage

from .answer_loop import Progress, stream_answer
from .answer_media import AnswerMedia
from .chat_request import RequestBuilder
from .checkpoint import Checkpoint
from .context import IMAGE_TOKENS, build_messages, estimate_tokens, history_budget, quote_block
from .document_reader import DocumentReader
from .events import ImagesSkipped, LimitHit, ModelSwitched, SearchUnavailable, TurnEvent, TurnStarted
from .formats import FormatChooser
from .inline import OneOff, answer_once, one_off_messages
from .limits import DailyLimits
from .titles import TitleWriter
from .tools import ToolBudget, ToolRegistry
from .turn_outcome import TurnContext, TurnOutcome
from .usage_report import UsageSummary, usage_report
from .vision import ImageFetcher, images_for, sees_images

if TYPE_CHECKING:
    from bot.metrics import Metrics


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
        self._titles = titles  # a title is asked for after a conversation's first answer
        self._client = client
        self._storage = storage
        self._default_model = default_model
        self._max_context_tokens = max_context_tokens
        self._vision_model = vision_model
        self._image_history_turns = image_history_turns
        self.documents = DocumentReader(storage.settings, default_model, max_context_tokens, document_max_tokens)
        self._tools = tools or ToolRegistry([])
        self._requests = RequestBuilder(formats, self._tools, mcp_servers, max_answer_tokens)
        self._limits = limits or DailyLimits(storage.usage, DayTotals(), lambda _user: False)
        self._outcome = TurnOutcome(storage, self._limits, AnswerMedia(client.http.public), metrics)

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
        request = await self._requests.build(model, settings, one_off_messages(settings.system_prompt, question))
        log = partial(self._outcome.log_turn, chat)
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
        await self._outcome.mark_delivered(answer_id, tg_message_ids)

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
        turn = await self._read_turn(chat, user_id, conversation, answer_row, fetch_image)
        async for event in self._check_images(turn):
            yield event
        reached = await self._limits.reserve(user_id, turn.model)
        if reached is not None:
            await self._outcome.finish(answer_row, turn.model, Progress(), MessageStatus.FAILED)
            yield LimitHit(reached, answer_row)
            return
        messages = build_messages(turn.settings.system_prompt, turn.history, turn.images.by_file_id, turn.documents)
        request = await self._requests.build(turn.model, turn.settings, messages)
        notice = await self._search_notice(turn, request)
        if notice is not None:
            yield notice
        turn.images.by_file_id.clear()  # the request holds the only copy now
        progress = Progress()
        started = time.monotonic()
        checkpoint = Checkpoint(self._storage.conversations, answer_row, started)
        try:
            tool_budget = ToolBudget(user_id=user_id)
            async for update in stream_answer(self._client, request, self._tools, stop, progress, tool_budget):
                await checkpoint.maybe(progress.text)
                yield update
        except WenwenError as error:
            yield await self._outcome.failed(turn, progress, started, error)
            return
        async for event in self._outcome.done(turn, progress, stop.is_set(), started):
            yield event
        self._ask_for_title(turn, progress)

    async def _read_turn(
        self, chat: ChatKey, user_id: int, conversation: int, answer_row: int, fetch_image: ImageFetcher | None
    ) -> TurnContext:
        """The chat's settings and the history that fits the model's budget, with its images and documents."""
        settings = await self._storage.settings.get(chat)
        model = settings.model or self._default_model
        budget = history_budget(model, self._max_context_tokens)
        budget -= estimate_tokens(settings.system_prompt) if settings.system_prompt else 0
        history = await self._storage.conversations.window(conversation, max(budget, 256), before_id=answer_row)
        images = await images_for(history, fetch_image, self._image_history_turns)
        documents = await self.documents.for_request(history, fetch_image, max(budget, 256))
        return TurnContext(chat, user_id, conversation, answer_row, settings, model, history, images, documents)

    async def _check_images(self, turn: TurnContext) -> AsyncIterator[TurnEvent]:
        """Tell of images that cannot be read, and switch to the vision model when the chat's cannot see."""
        if turn.images.unreadable:
            await self._storage.conversations.refuse_images(turn.images.unreadable)
            yield ImagesSkipped(len(turn.images.unreadable))
        if turn.images.by_file_id and not sees_images(turn.model) and self._vision_model != turn.model:
            shown = turn.settings.vision_notice_shown
            yield ModelSwitched(self._vision_model, turn.model, not shown)
            if not shown:
                await self._storage.settings.mark_vision_notice_shown(turn.chat)
            turn.model = self._vision_model

    async def _search_notice(self, turn: TurnContext, request: ChatRequest) -> SearchUnavailable | None:
        """Once a chat: web search is on, but the model cannot search (with the models that can)."""
        settings = turn.settings
        if not settings.web_search or request.web_search or settings.search_notice_shown:
            return None
        await self._storage.settings.set(turn.chat, "search_notice_shown", 1)
        return SearchUnavailable(turn.model, tuple(await self._requests.search_models()))

    def _ask_for_title(self, turn: TurnContext, progress: Progress) -> None:
        """A conversation's first answer: a title is written for it in the background."""
        if self._titles is not None and progress.text.strip() and not _answered_before(turn.history):
            question = "\n\n".join(m.content for m in turn.history if m.role == "user")
            self._titles.schedule(turn.conversation, turn.user_id, question, progress.text)


def _answered_before(history: list[StoredMessage]) -> bool:
    return any(m.role == "assistant" and m.status not in NO_ANSWER for m in history)


def _mentions(history: list[StoredMessage], tg_message_id: int) -> bool:
    return any(m.tg_message_id == tg_message_id or tg_message_id in m.tg_reply_ids for m in history)
