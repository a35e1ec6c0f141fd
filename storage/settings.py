"""Per-chat settings (model, system prompt)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable

from .db import Database
from .models import ChatKey, ChatSettings

SETTABLE = frozenset(
    {
        "model",
        "system_prompt",
        "voice_replies",
        "vision_notice_shown",
        "api_format",
        "thinking",
        "thinking_level",
        "web_search",
        "tools",
        "language",
        "search_notice_shown",
    }
)


class ChatSettingsRepository:
    """Per-chat settings, read on every turn: kept in memory (bounded), written through to the database.

    The cache is this process's: with several processes (PostgreSQL) a change made by another one is
    seen once the entry leaves the cache (see CACHE_SIZE) — settings change rarely and by hand.
    """

    CACHE_SIZE = 20_000

    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: OrderedDict[ChatKey, ChatSettings] = OrderedDict()
        self._writes = 0  # a read that overlapped a write is not cached (it may hold the old values)

    async def get(self, chat: ChatKey) -> ChatSettings:
        cached = self._cache.get(chat)
        if cached is not None:
            self._cache.move_to_end(chat)
            return cached
        writes = self._writes
        found = await self._load(chat)
        if writes == self._writes:
            self._remember(chat, found)
        return found

    def evict(self, places: Iterable[ChatKey]) -> None:
        """Their rows were deleted (/forget): read again on next use (and found gone)."""
        self._writes += 1
        for place in places:
            self._cache.pop(place, None)

    def _remember(self, chat: ChatKey, settings: ChatSettings) -> None:
        self._cache[chat] = settings
        self._cache.move_to_end(chat)
        while len(self._cache) > self.CACHE_SIZE:
            self._cache.popitem(last=False)

    async def _load(self, chat: ChatKey) -> ChatSettings:
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT model, system_prompt, voice_replies, vision_notice_shown, api_format, thinking, "
                "thinking_level, web_search, tools, language, search_notice_shown FROM chat_settings "
                "WHERE chat_id = ? AND thread_id = ?",
                (chat.chat_id, chat.thread_id),
            ) as cursor:
                row = await cursor.fetchone()
        if not row:
            return ChatSettings()
        return ChatSettings(
            model=row["model"],
            system_prompt=row["system_prompt"],
            voice_replies=bool(row["voice_replies"]),
            vision_notice_shown=bool(row["vision_notice_shown"]),
            api_format=row["api_format"],
            thinking=bool(row["thinking"]),
            thinking_level=row["thinking_level"],
            web_search=bool(row["web_search"]),
            tools=bool(row["tools"]),
            language=row["language"],
            search_notice_shown=bool(row["search_notice_shown"]),
        )

    async def _upsert(self, chat: ChatKey, column: str, value: str | int | None) -> None:
        if column not in SETTABLE:
            raise ValueError(column)  # the name goes into the SQL text
        self._writes += 1
        self._cache.pop(chat, None)
        async with self._db.transaction() as conn:
            await conn.execute(
                f"INSERT INTO chat_settings (chat_id, thread_id, {column}, updated_at) VALUES (?, ?, ?, ?) "
                f"ON CONFLICT (chat_id, thread_id) DO UPDATE SET {column} = excluded.{column}, "
                "updated_at = excluded.updated_at",
                (chat.chat_id, chat.thread_id, value, time.time()),
            )
        self._writes += 1
        self._cache.pop(chat, None)  # read again (with every column's real type) on next use

    async def set_model(self, chat: ChatKey, model: str) -> None:
        await self._upsert(chat, "model", model)

    async def set_system_prompt(self, chat: ChatKey, prompt: str | None) -> None:
        await self._upsert(chat, "system_prompt", prompt)

    async def set_voice_replies(self, chat: ChatKey, enabled: bool) -> None:
        await self._upsert(chat, "voice_replies", int(enabled))

    async def mark_vision_notice_shown(self, chat: ChatKey) -> None:
        await self._upsert(chat, "vision_notice_shown", 1)

    async def set(self, chat: ChatKey, column: str, value: str | int | None) -> None:
        """One setting; `column` must be one of SETTABLE."""
        await self._upsert(chat, column, value)

    async def languages(self) -> dict[ChatKey, str]:
        """Chats with a language chosen in /settings (loaded once at start)."""
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT chat_id, thread_id, language FROM chat_settings WHERE language IS NOT NULL"
            ) as cursor:
                rows = await cursor.fetchall()
        return {ChatKey(row["chat_id"], row["thread_id"]): row["language"] for row in rows}
