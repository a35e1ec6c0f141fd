"""Message embeddings for search by meaning (`EMBEDDING_MODEL`): which messages still need one, and a chat's vectors.

A vector is stored as bytes (core packs it: unit length, float16), one row per message, deleted with
the message. A change of model makes the old rows stale: they are made again, newest messages first.
"""

from __future__ import annotations

from dataclasses import dataclass

from .db import Database
from .models import ChatKey

_TEXT_CHARS = 8000  # of a message, embedded (its beginning: a search finds a conversation, not a sentence)


@dataclass(frozen=True, slots=True)
class Unembedded:
    message_id: int
    text: str
    user_id: int | None  # whose usage the tokens count in (an answer: the user it answered)


@dataclass(frozen=True, slots=True)
class StoredVector:
    message_id: int
    conversation_id: int
    vector: bytes


class EmbeddingRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def unembedded(self, model: str, limit: int) -> list[Unembedded]:
        """Messages with text and no vector of `model`, newest first."""
        sql = (
            f"SELECT m.id, substr(m.content, 1, {_TEXT_CHARS}), COALESCE(m.user_id, ("
            "  SELECT u.user_id FROM messages u WHERE u.conversation_id = m.conversation_id AND u.id < m.id"
            "  AND u.user_id IS NOT NULL ORDER BY u.id DESC LIMIT 1)) "
            "FROM messages m LEFT JOIN message_embeddings e ON e.message_id = m.id AND e.model = ? "
            "WHERE e.message_id IS NULL AND m.status IN ('complete', 'partial') AND trim(m.content) != '' "
            "ORDER BY m.id DESC LIMIT ?"
        )
        async with self._db.read() as conn:
            async with conn.execute(sql, (model, limit)) as cursor:
                rows = await cursor.fetchall()
        return [Unembedded(int(row[0]), str(row[1]), None if row[2] is None else int(row[2])) for row in rows]

    async def store(self, model: str, vectors: list[tuple[int, bytes]]) -> None:
        """Vectors by message id (a message deleted meanwhile is skipped)."""
        async with self._db.transaction() as conn:
            for message_id, vector in vectors:
                await conn.execute(
                    "INSERT OR REPLACE INTO message_embeddings (message_id, model, vector) "
                    "SELECT id, ?, ? FROM messages WHERE id = ?",
                    (model, vector, message_id),
                )

    async def of_chat(self, chat: ChatKey, model: str, limit: int) -> list[StoredVector]:
        """The chat's (topic's) vectors of `model`, newest messages first, at most `limit`."""
        sql = (
            "SELECT e.message_id, m.conversation_id, e.vector FROM message_embeddings e "
            "JOIN messages m ON m.id = e.message_id JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.chat_id = ? AND c.thread_id = ? AND e.model = ? AND m.status != 'superseded' "
            "ORDER BY e.message_id DESC LIMIT ?"
        )
        async with self._db.read() as conn:
            async with conn.execute(sql, (chat.chat_id, chat.thread_id, model, limit)) as cursor:
                rows = await cursor.fetchall()
        return [StoredVector(int(row[0]), int(row[1]), bytes(row[2])) for row in rows]

    async def text_of(self, message_id: int) -> str:
        async with self._db.read() as conn:
            async with conn.execute("SELECT substr(content, 1, 300) FROM messages WHERE id = ?", (message_id,)) as c:
                row = await c.fetchone()
        return str(row[0]) if row else ""
