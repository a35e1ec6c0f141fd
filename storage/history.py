"""A chat's earlier conversations: the list, titles, the text of one for export, and full-text search.

Search runs on the `messages_fts` table (migration 10: FTS5 with the trigram tokenizer, kept in step by
triggers). A trigram index finds any piece of 3 or more characters; shorter words (two Chinese characters,
say) are matched with LIKE over the chat's own messages instead. On PostgreSQL every term is matched that
way (LIKE becomes ILIKE: case-insensitive, as FTS5 and SQLite's LIKE are), over the chat's messages only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .db import Database
from .models import ChatKey

MARK_START = "\x02"  # around the matched words in a snippet (the caller turns them into its own markup)
MARK_END = "\x03"
FTS_MIN_CHARS = 3  # shorter pieces cannot match a trigram index
MAX_TERMS = 8
MAX_TERM_CHARS = 64
_SCAN = 400  # matching messages read per search (newest first), at most
_EXPORT_PAGE = 200

_SUMMARY = (
    "SELECT c.id, c.title, c.title_source, c.created_at, c.active, "
    "(SELECT substr(content, 1, 300) FROM messages WHERE conversation_id = c.id AND role = 'user' "
    "  AND status != 'superseded' ORDER BY id LIMIT 1) AS first_text, "
    "(SELECT created_at FROM messages WHERE conversation_id = c.id ORDER BY id DESC LIMIT 1) AS last_at, "
    "(SELECT COUNT(*) FROM messages WHERE conversation_id = c.id AND status IN ('complete', 'partial')) AS count "
    "FROM conversations c WHERE c.chat_id = ? AND c.thread_id = ? "
)
_HAS_MESSAGES = "AND EXISTS (SELECT 1 FROM messages WHERE conversation_id = c.id) "
_LAST_MESSAGE = "(SELECT MAX(id) FROM messages WHERE conversation_id = c.id)"  # one index seek per conversation


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    id: int
    title: str | None  # written by the model or the user; None: shown from `first_text`
    title_source: str | None  # 'model', 'user' or None
    first_text: str  # the start of the first user message ("" if none yet)
    created_at: float
    last_at: float  # the newest message's time (created_at when there is none)
    messages: int  # answered and asked messages (not superseded, failed or pending ones)
    active: bool  # the chat's current conversation


@dataclass(frozen=True, slots=True)
class ExportRow:
    id: int
    role: str
    content: str
    status: str
    images: int  # how many images the message carried
    created_at: float
    files: tuple[str, ...] = ()  # names of the documents sent with it


@dataclass(frozen=True, slots=True)
class TextMatch:
    conversation_id: int
    message_id: int
    snippet: str  # plain text with MARK_START/MARK_END around what matched


def fts_phrase(term: str) -> str:
    """One user word as an FTS5 string: quoted, inner quotes doubled, so no character is query syntax."""
    return '"' + term.replace('"', '""') + '"'


def split_terms(words: str) -> list[str]:
    """The user's words: whitespace-separated, control characters dropped, bounded in number and length."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in words)
    terms = [term[:MAX_TERM_CHARS] for term in cleaned.split()]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def fts_query(terms: list[str]) -> str | None:
    """An FTS5 MATCH expression requiring every term long enough for the index (None: none is)."""
    phrases = [fts_phrase(term) for term in terms if len(term) >= FTS_MIN_CHARS]
    return " AND ".join(phrases) if phrases else None


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _summary(row: Any) -> ConversationSummary:
    return ConversationSummary(
        id=int(row["id"]),
        title=row["title"],
        title_source=row["title_source"],
        first_text=row["first_text"] or "",
        created_at=float(row["created_at"]),
        last_at=float(row["last_at"] if row["last_at"] is not None else row["created_at"]),
        messages=int(row["count"]),
        active=bool(row["active"]),
    )


class HistoryRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def count(self, chat: ChatKey) -> int:
        """How many of the chat's conversations have a message."""
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT COUNT(*) FROM conversations c WHERE c.chat_id = ? AND c.thread_id = ? " + _HAS_MESSAGES,
                (chat.chat_id, chat.thread_id),
            ) as cursor:
                row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def page(self, chat: ChatKey, offset: int, limit: int) -> list[ConversationSummary]:
        """The chat's conversations that have a message, the one with the newest message first."""
        async with self._db.read() as conn:
            async with conn.execute(
                _SUMMARY + _HAS_MESSAGES + f"ORDER BY {_LAST_MESSAGE} DESC, c.id DESC LIMIT ? OFFSET ?",
                (chat.chat_id, chat.thread_id, limit, offset),
            ) as cursor:
                rows = await cursor.fetchall()
        return [_summary(row) for row in rows]

    async def summaries(self, chat: ChatKey, ids: list[int]) -> dict[int, ConversationSummary]:
        """These conversations, if they are the chat's."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        async with self._db.read() as conn:
            async with conn.execute(
                _SUMMARY + f"AND c.id IN ({marks})", (chat.chat_id, chat.thread_id, *ids)
            ) as cursor:
                rows = await cursor.fetchall()
        return {int(row["id"]): _summary(row) for row in rows}

    async def summary(self, chat: ChatKey, conversation_id: int) -> ConversationSummary | None:
        return (await self.summaries(chat, [conversation_id])).get(conversation_id)

    async def has_title(self, conversation_id: int) -> bool:
        """A title was written (by the model or the user), or the conversation is gone."""
        async with self._db.read() as conn:
            async with conn.execute("SELECT title_source FROM conversations WHERE id = ?", (conversation_id,)) as cur:
                row = await cur.fetchone()
        return row is None or row[0] is not None

    async def set_model_title(self, conversation_id: int, title: str) -> bool:
        """The model's title, unless the user named the conversation meanwhile (or deleted it)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE conversations SET title = ?, title_source = 'model' "
                "WHERE id = ? AND (title_source IS NULL OR title_source = 'model')",
                (title, conversation_id),
            )
            return cursor.rowcount == 1

    async def rename(self, chat: ChatKey, conversation_id: int, title: str) -> bool:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE conversations SET title = ?, title_source = 'user' "
                "WHERE id = ? AND chat_id = ? AND thread_id = ?",
                (title, conversation_id, chat.chat_id, chat.thread_id),
            )
            return cursor.rowcount == 1

    async def export_rows(self, conversation_id: int, after_id: int = 0) -> list[ExportRow]:
        """The next page of a conversation's messages (ids above `after_id`), oldest first."""
        async with self._db.read() as conn:
            async with conn.execute(
                "SELECT id, role, content, status, attachments, created_at, documents FROM messages "
                "WHERE conversation_id = ? AND id > ? ORDER BY id LIMIT ?",
                (conversation_id, after_id, _EXPORT_PAGE),
            ) as cursor:
                rows = await cursor.fetchall()
        return [
            ExportRow(
                int(row["id"]),
                row["role"],
                row["content"],
                row["status"],
                len(json.loads(row["attachments"])) if row["attachments"] else 0,
                float(row["created_at"]),
                tuple(str(d.get("name", "")) for d in json.loads(row["documents"])) if row["documents"] else (),
            )
            for row in rows
        ]

    async def search(self, chat: ChatKey, terms: list[str]) -> list[TextMatch]:
        """Messages of the chat containing every term (case-insensitive), newest first."""
        if not terms:
            return []
        fts = self._db.dialect == "sqlite"  # PostgreSQL has no FTS5 table: every term is matched with ILIKE
        query = fts_query(terms) if fts else None
        short = [like_pattern(term) for term in terms if not fts or len(term) < FTS_MIN_CHARS]
        likes = "".join(" AND m.content LIKE ? ESCAPE '\\'" for _ in short)
        where = "c.chat_id = ? AND c.thread_id = ? AND m.status != 'superseded'" + likes
        if query is not None:
            sql = (
                "SELECT m.conversation_id, m.id, "
                f"snippet(messages_fts, 0, '{MARK_START}', '{MARK_END}', '…', 16) AS snip "
                "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
                f"JOIN conversations c ON c.id = m.conversation_id WHERE messages_fts MATCH ? AND {where} "
                "ORDER BY m.id DESC LIMIT ?"
            )
            params: tuple[Any, ...] = (query, chat.chat_id, chat.thread_id, *short, _SCAN)
        else:
            sql = (
                "SELECT m.conversation_id, m.id, substr(m.content, 1, 20000) AS snip "
                f"FROM conversations c JOIN messages m ON m.conversation_id = c.id WHERE {where} "
                "ORDER BY m.id DESC LIMIT ?"
            )
            params = (chat.chat_id, chat.thread_id, *short, _SCAN)
        async with self._db.read() as conn:
            async with conn.execute(sql, params) as cursor:
                rows = await cursor.fetchall()
        found = [TextMatch(int(row[0]), int(row[1]), row[2] or "") for row in rows]
        return found if query is not None else [_marked(match, terms) for match in found]


def _marked(match: TextMatch, terms: list[str], around: int = 40) -> TextMatch:
    """A snippet of a LIKE match: the text around the first term, that term marked."""
    text = match.snippet
    lowered = text.lower()
    term = terms[0]
    at = lowered.find(term.lower())
    if at < 0:
        return TextMatch(match.conversation_id, match.message_id, text[: around * 2])
    start, end = max(0, at - around), at + len(term)
    head = ("…" if start else "") + text[start:at]
    tail = text[end : end + around] + ("…" if end + around < len(text) else "")
    return TextMatch(match.conversation_id, match.message_id, f"{head}{MARK_START}{text[at:end]}{MARK_END}{tail}")
