"""Per-chat settings (model, system prompt)."""

from __future__ import annotations

import time

from .db import Database
from .models import ChatKey, ChatSettings

_UNSET = object()


class ChatSettingsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, chat: ChatKey) -> ChatSettings:
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT model, system_prompt, voice_replies, vision_notice_shown FROM chat_settings "
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
        )

    async def _upsert(self, chat: ChatKey, column: str, value: str | int | None) -> None:
        if column not in ("model", "system_prompt", "voice_replies", "vision_notice_shown"):
            raise ValueError(column)  # the name goes into the SQL text
        async with self._db.transaction() as conn:
            await conn.execute(
                f"INSERT INTO chat_settings (chat_id, thread_id, {column}, updated_at) VALUES (?, ?, ?, ?) "
                f"ON CONFLICT (chat_id, thread_id) DO UPDATE SET {column} = excluded.{column}, "
                "updated_at = excluded.updated_at",
                (chat.chat_id, chat.thread_id, value, time.time()),
            )

    async def set_model(self, chat: ChatKey, model: str) -> None:
        await self._upsert(chat, "model", model)

    async def set_system_prompt(self, chat: ChatKey, prompt: str | None) -> None:
        await self._upsert(chat, "system_prompt", prompt)

    async def set_voice_replies(self, chat: ChatKey, enabled: bool) -> None:
        await self._upsert(chat, "voice_replies", int(enabled))

    async def mark_vision_notice_shown(self, chat: ChatKey) -> None:
        await self._upsert(chat, "vision_notice_shown", 1)
