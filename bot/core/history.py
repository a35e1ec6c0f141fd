"""A chat's earlier conversations: listed, resumed, renamed, deleted, exported and found by their text.

Everything is per place (`ChatKey`: a chat, or one forum topic of it): a conversation id from a button
is only acted on when it belongs to the place the button was pressed in.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass

from storage import ChatKey, ConversationSummary, ExportRow, Storage
from storage.history import split_terms

from .export import ExportFile, build_markdown
from .meaning import MeaningIndex
from .titles import TitleWriter, clean_title, first_message_title

PAGE_SIZE = 8
MAX_PAGES = 10_000
FOUND_LIMIT = 8


def display_title(summary: ConversationSummary) -> str:
    """The written title, else the first message's words ("" for a conversation with no question yet)."""
    return summary.title or first_message_title(summary.first_text)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    items: list[ConversationSummary]
    page: int  # 0-based, within 0 … pages-1
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class FoundConversation:
    summary: ConversationSummary
    snippet: str  # plain text; storage.history.MARK_START/MARK_END around what matched


@dataclass(frozen=True, slots=True)
class PendingRename:
    chat: ChatKey
    conversation_id: int
    user_id: int
    asked_at: float


class PendingRenames:
    """Force-reply questions "what should it be called?" waiting for their answer (bounded, they expire)."""

    def __init__(self, ttl: float = 3600.0, size: int = 5000) -> None:
        self._ttl = ttl
        self._size = size
        self._asked: OrderedDict[tuple[int, int], PendingRename] = OrderedDict()

    def put(self, chat: ChatKey, prompt_message_id: int, conversation_id: int, user_id: int) -> None:
        key = (chat.chat_id, prompt_message_id)
        self._asked[key] = PendingRename(chat, conversation_id, user_id, time.monotonic())
        self._asked.move_to_end(key)
        while len(self._asked) > self._size:
            self._asked.popitem(last=False)

    def get(self, chat_id: int, prompt_message_id: int) -> PendingRename | None:
        found = self._asked.get((chat_id, prompt_message_id))
        if found is None or time.monotonic() - found.asked_at > self._ttl:
            return None
        return found

    def drop(self, chat_id: int, prompt_message_id: int) -> None:
        self._asked.pop((chat_id, prompt_message_id), None)


class HistoryService:
    def __init__(self, storage: Storage, titles: TitleWriter, meaning: MeaningIndex | None = None) -> None:
        self._storage = storage
        self.titles = titles
        self.renames = PendingRenames()
        self.meaning = meaning  # search by meaning, when EMBEDDING_MODEL is set

    async def page(self, chat: ChatKey, page: int) -> HistoryPage:
        """One page of the chat's conversations, newest first (a page past the end shows the last one)."""
        total = await self._storage.history.count(chat)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        items = await self._storage.history.page(chat, page * PAGE_SIZE, PAGE_SIZE)
        return HistoryPage(items, page, pages, total)

    async def get(self, chat: ChatKey, conversation_id: int) -> ConversationSummary | None:
        return await self._storage.history.summary(chat, conversation_id)

    async def current(self, chat: ChatKey) -> ConversationSummary | None:
        """The chat's current conversation, if it has a message."""
        found = await self.get(chat, await self._storage.conversations.active(chat))
        return found if found is not None and found.messages else None

    async def resume(self, chat: ChatKey, conversation_id: int) -> ConversationSummary | None:
        """Make it the chat's current conversation: the next message continues it, with its history."""
        if not await self._storage.conversations.resume(chat, conversation_id):
            return None
        return await self.get(chat, conversation_id)

    async def rename(self, chat: ChatKey, conversation_id: int, title: str) -> str | None:
        """The user's own title (trimmed to one short line); None when empty or not the chat's."""
        cleaned = clean_title(title)
        if not cleaned or not await self._storage.history.rename(chat, conversation_id, cleaned):
            return None
        return cleaned

    async def delete(self, chat: ChatKey, conversation_id: int) -> bool:
        return await self._storage.conversations.delete(chat, conversation_id)

    async def export(
        self, chat: ChatKey, conversation_id: int, names: dict[str, str], cut_note: str, untitled: str
    ) -> ExportFile | None:
        """The conversation as a Markdown file (None when it is not the chat's)."""
        summary = await self.get(chat, conversation_id)
        if summary is None:
            return None
        title = display_title(summary) or untitled
        return await build_markdown(title, summary.id, summary.created_at, self._rows(summary.id), names, cut_note)

    async def _rows(self, conversation_id: int) -> AsyncIterator[ExportRow]:
        after = 0
        while True:
            rows = await self._storage.history.export_rows(conversation_id, after)
            if not rows:
                return
            for row in rows:
                yield row
            after = rows[-1].id

    async def find(self, chat: ChatKey, words: str, user_id: int = 0) -> list[FoundConversation]:
        """The chat's conversations whose messages contain all the words, newest match first (one per
        conversation); then, with search by meaning on, the closest in meaning (the query's tokens: `user_id`'s)."""
        matches = await self._storage.history.search(chat, split_terms(words))
        snippets: dict[int, str] = {}
        for match in matches:
            snippets.setdefault(match.conversation_id, match.snippet)
            if len(snippets) >= FOUND_LIMIT:
                break
        if self.meaning is not None and self.meaning.enabled and len(snippets) < FOUND_LIMIT:
            for close in await self.meaning.rank(chat, words, user_id):
                if close.conversation_id not in snippets:
                    snippets[close.conversation_id] = await self.meaning.snippet(close.message_id)
                if len(snippets) >= FOUND_LIMIT:
                    break
        summaries = await self._storage.history.summaries(chat, list(snippets))
        return [FoundConversation(summaries[cid], snippet) for cid, snippet in snippets.items() if cid in summaries]
