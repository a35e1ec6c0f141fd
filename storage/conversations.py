"""Conversations and their messages."""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from .db import Database
from .models import ChatKey, MessageStatus, StoredDocument, StoredMessage, Unfinished

NO_ANSWER_TOKENS = 8  # what the placeholder of an answer that never came costs in a request

_COLUMNS = (
    "id, conversation_id, role, content, status, token_estimate, tg_message_id, tg_reply_ids, model, user_id, "
    "attachments, images_refused, delivered, lang, created_at, documents"
)
_COLUMNS_OF_M = ", ".join(f"m.{name.strip()}" for name in _COLUMNS.split(","))
_PAGE = 64


def _row_to_message(row: Any) -> StoredMessage:
    reply_ids = tuple(json.loads(row["tg_reply_ids"])) if row["tg_reply_ids"] else ()
    return StoredMessage(
        id=row["id"],
        conversation_id=row["conversation_id"],
        role=row["role"],
        content=row["content"],
        status=MessageStatus(row["status"]),
        token_estimate=row["token_estimate"],
        tg_message_id=row["tg_message_id"],
        tg_reply_ids=reply_ids,
        model=row["model"],
        user_id=row["user_id"],
        attachments=tuple(json.loads(row["attachments"])) if row["attachments"] else (),
        images_refused=bool(row["images_refused"]),
        delivered=bool(row["delivered"]),
        lang=row["lang"],
        created_at=row["created_at"],
        documents=_documents(row["documents"]),
    )


def _documents(stored: str | None) -> tuple[StoredDocument, ...]:
    if not stored:
        return ()
    return tuple(StoredDocument(str(d["file_id"]), str(d["name"]), str(d["kind"])) for d in json.loads(stored))


def _documents_json(documents: tuple[StoredDocument, ...]) -> str | None:
    if not documents:
        return None
    return json.dumps([{"file_id": d.file_id, "name": d.name, "kind": d.kind} for d in documents], ensure_ascii=False)


class ConversationRepository:
    ACTIVE_CACHE = 20_000  # chats whose current conversation id is kept in memory (asked on every message)

    def __init__(self, db: Database) -> None:
        self._db = db
        self._active: OrderedDict[ChatKey, int] = OrderedDict()
        self._switches = 0  # changes of a chat's current conversation (a read overlapping one is not cached)

    async def active(self, chat: ChatKey) -> int:
        """The chat's current conversation id, created on first use."""
        known = self._active.get(chat)
        if known is not None:
            self._active.move_to_end(chat)
            return known
        while True:
            switches = self._switches
            found = await self._find_or_create(chat)
            if switches == self._switches:  # else /new, a resume or a delete came meanwhile: ask again
                break
        self._active[chat] = found
        while len(self._active) > self.ACTIVE_CACHE:
            self._active.popitem(last=False)
        return found

    def evict(self, places: Iterable[ChatKey]) -> None:
        """Their current conversations were deleted behind this repository's back (retention, /forget):
        the next message of each place finds or makes its conversation again."""
        self._switches += 1
        for place in places:
            self._active.pop(place, None)

    async def _find_or_create(self, chat: ChatKey) -> int:
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT id FROM conversations WHERE chat_id = ? AND thread_id = ? AND active = 1 "
                "ORDER BY id DESC LIMIT 1",
                (chat.chat_id, chat.thread_id),
            ) as cursor:
                row = await cursor.fetchone()
            if row:
                return int(row[0])
            cursor = await conn.execute(
                "INSERT INTO conversations (chat_id, thread_id, created_at) VALUES (?, ?, ?)",
                (chat.chat_id, chat.thread_id, time.time()),
            )
            return int(cursor.lastrowid or 0)

    async def start_new(self, chat: ChatKey) -> int:
        """Close the current conversation (kept on disk) and open a fresh one."""
        self._switches += 1
        self._active.pop(chat, None)
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE conversations SET active = 0 WHERE chat_id = ? AND thread_id = ? AND active = 1",
                (chat.chat_id, chat.thread_id),
            )
            cursor = await conn.execute(
                "INSERT INTO conversations (chat_id, thread_id, created_at) VALUES (?, ?, ?)",
                (chat.chat_id, chat.thread_id, time.time()),
            )
            created = int(cursor.lastrowid or 0)
        self._active[chat] = created
        return created

    async def resume(self, chat: ChatKey, conversation_id: int) -> bool:
        """Make an earlier conversation of this chat (and topic) the current one; False if it is not the chat's."""
        self._switches += 1
        self._active.pop(chat, None)
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT 1 FROM conversations WHERE id = ? AND chat_id = ? AND thread_id = ?",
                (conversation_id, chat.chat_id, chat.thread_id),
            ) as found:
                if await found.fetchone() is None:
                    return False
            await conn.execute(
                "UPDATE conversations SET active = CASE WHEN id = ? THEN 1 ELSE 0 END "
                "WHERE chat_id = ? AND thread_id = ? AND (active = 1 OR id = ?)",
                (conversation_id, chat.chat_id, chat.thread_id, conversation_id),
            )
        self._active[chat] = conversation_id
        return True

    async def delete(self, chat: ChatKey, conversation_id: int) -> bool:
        """Delete one of this chat's conversations with its messages; the chat's next message starts a new one."""
        self._switches += 1
        self._active.pop(chat, None)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM conversations WHERE id = ? AND chat_id = ? AND thread_id = ?",
                (conversation_id, chat.chat_id, chat.thread_id),
            )
            return cursor.rowcount == 1

    async def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        token_estimate: int,
        status: MessageStatus = MessageStatus.COMPLETE,
        user_id: int | None = None,
        tg_message_id: int | None = None,
        tg_reply_ids: tuple[int, ...] = (),
        model: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        attachments: tuple[str, ...] = (),
        lang: str | None = None,
        documents: tuple[StoredDocument, ...] = (),
    ) -> int:
        written = await self._db.write(
            "INSERT INTO messages (conversation_id, role, content, status, token_estimate, user_id, tg_message_id, "
            "tg_reply_ids, model, prompt_tokens, completion_tokens, created_at, attachments, lang, documents) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                role,
                content,
                status.value,
                token_estimate,
                user_id,
                tg_message_id,
                json.dumps(list(tg_reply_ids)) if tg_reply_ids else None,
                model,
                prompt_tokens,
                completion_tokens,
                time.time(),
                json.dumps(list(attachments)) if attachments else None,
                lang,
                _documents_json(documents),
            ),
        )
        return int(written.lastrowid or 0)

    async def begin_answer(self, conversation_id: int) -> int | None:
        """A 'pending' answer row right after the unanswered question(s); None when nothing is unanswered.

        Written before the request goes out, so messages that arrive while the answer is written come
        after it (they are the next turn's question), and a crash leaves a visible gap, not a glued question.
        """
        # one statement: the check and the insert cannot be told apart by another write
        written = await self._db.write(
            "INSERT INTO messages (conversation_id, role, content, status, token_estimate, created_at, delivered) "
            "SELECT ?, 'assistant', '', ?, ?, ?, 0 WHERE (SELECT role FROM messages WHERE conversation_id = ? "
            "AND status != ? ORDER BY id DESC LIMIT 1) = 'user'",
            (
                conversation_id,
                MessageStatus.PENDING.value,
                NO_ANSWER_TOKENS,
                time.time(),
                conversation_id,
                MessageStatus.SUPERSEDED.value,
            ),
        )
        return int(written.lastrowid or 0) if written.rowcount == 1 else None

    async def finish_answer(
        self,
        row_id: int,
        content: str,
        status: MessageStatus,
        *,
        token_estimate: int,
        model: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
    ) -> None:
        """The answer row gets its text and final state (FAILED with no text when none came)."""
        await self._db.write(
            "UPDATE messages SET content = ?, status = ?, token_estimate = ?, model = ?, prompt_tokens = ?, "
            "completion_tokens = ? WHERE id = ?",
            (content, status.value, token_estimate, model, prompt_tokens, completion_tokens, row_id),
        )

    async def checkpoint(self, row_id: int, content: str) -> None:
        """What a pending answer has said so far, so a crash leaves something to show."""
        await self._db.write(
            "UPDATE messages SET content = ? WHERE id = ? AND status = ?",
            (content, row_id, MessageStatus.PENDING.value),
        )

    async def mark_delivered(self, row_id: int, tg_reply_ids: tuple[int, ...] | None = None) -> None:
        """The chat shows the answer (in these messages, when given)."""
        if tg_reply_ids is None:
            await self._db.write("UPDATE messages SET delivered = 1 WHERE id = ?", (row_id,))
        else:
            await self._db.write(
                "UPDATE messages SET delivered = 1, tg_reply_ids = ? WHERE id = ?",
                (json.dumps(list(tg_reply_ids)), row_id),
            )

    async def unfinished(self, since: float) -> list[Unfinished]:
        """Active conversations whose last message (newer than `since`) still waits for an answer in the chat."""
        async with self._db.read() as conn:
            async with conn.execute(
                f"SELECT {_COLUMNS_OF_M}, c.chat_id, c.thread_id FROM messages m "
                "JOIN conversations c ON c.id = m.conversation_id "
                "WHERE c.active = 1 AND m.created_at >= ? AND m.id = (SELECT MAX(id) FROM messages "
                "  WHERE conversation_id = m.conversation_id AND status != 'superseded') "
                "AND (m.role = 'user' OR m.delivered = 0 OR m.status = 'pending') ORDER BY m.id",
                (since,),
            ) as cursor:
                tails = [
                    (_row_to_message(row), ChatKey(row["chat_id"], row["thread_id"])) for row in await cursor.fetchall()
                ]
            found = []
            for last, chat in tails:
                async with conn.execute(
                    f"SELECT {_COLUMNS} FROM messages WHERE conversation_id = ? AND role = 'user' "
                    "AND status != 'superseded' ORDER BY id DESC LIMIT 1",
                    (last.conversation_id,),
                ) as cursor:
                    row = await cursor.fetchone()
                found.append(Unfinished(chat, last, _row_to_message(row) if row else None))
        return found

    async def close_pending(self, before: float | None = None) -> int:
        """Answers left 'pending' by a crash become what was said so far (partial), else failed."""
        query = (
            "UPDATE messages SET delivered = 1, status = CASE WHEN content != '' THEN 'partial' ELSE 'failed' END "
            "WHERE status = 'pending'"
        )
        params: tuple[float, ...] = ()
        if before is not None:
            query += " AND created_at < ?"
            params = (before,)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(query, params)
            return int(cursor.rowcount)

    async def refuse_images(self, message_ids: list[int]) -> None:
        """The gateway refused these messages' images: later requests show a placeholder instead."""
        if not message_ids:
            return
        marks = ",".join("?" * len(message_ids))
        async with self._db.transaction() as conn:
            await conn.execute(f"UPDATE messages SET images_refused = 1 WHERE id IN ({marks})", message_ids)

    async def set_reply_ids(self, message_id: int, tg_reply_ids: tuple[int, ...]) -> None:
        await self._db.write(
            "UPDATE messages SET tg_reply_ids = ? WHERE id = ?", (json.dumps(list(tg_reply_ids)), message_id)
        )

    async def supersede_if_last(self, conversation_id: int, message_id: int) -> bool:
        """Supersede an answer only while it is the conversation's last message (one winner per press)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE messages SET status = ? WHERE id = ? AND role = 'assistant' AND id = ("
                "SELECT MAX(id) FROM messages WHERE conversation_id = ? AND status != ?)",
                (MessageStatus.SUPERSEDED.value, message_id, conversation_id, MessageStatus.SUPERSEDED.value),
            )
            return cursor.rowcount == 1

    async def supersede(self, message_id: int) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("UPDATE messages SET status = ? WHERE id = ?", (MessageStatus.SUPERSEDED, message_id))

    async def window(
        self, conversation_id: int, token_budget: int, max_messages: int = 400, *, before_id: int | None = None
    ) -> list[StoredMessage]:
        """The newest messages (older than `before_id` when given) whose estimates fit the budget, oldest first.

        Reads newest-first in small pages over the (conversation_id, id) index and stops as soon
        as the budget is spent, so a long conversation costs no more than a short one.
        """
        picked: list[StoredMessage] = []
        spent = 0
        before = before_id
        async with self._db.read() as conn:
            while len(picked) < max_messages:
                query = f"SELECT {_COLUMNS} FROM messages WHERE conversation_id = ? AND status != ?"
                params: list[Any] = [conversation_id, MessageStatus.SUPERSEDED.value]
                if before is not None:
                    query += " AND id < ?"
                    params.append(before)
                query += " ORDER BY id DESC LIMIT ?"
                params.append(_PAGE)
                async with conn.execute(query, params) as cursor:
                    rows = list(await cursor.fetchall())
                if not rows:
                    break
                for row in rows:
                    message = _row_to_message(row)
                    if spent + message.token_estimate > token_budget and picked:
                        return picked[::-1]
                    picked.append(message)
                    spent += message.token_estimate
                    if len(picked) >= max_messages:
                        break
                before = rows[-1]["id"]
        return picked[::-1]

    async def last_messages(self, conversation_id: int, limit: int = 2) -> list[StoredMessage]:
        """The newest non-superseded messages, oldest first."""
        async with self._db.read() as conn:
            async with conn.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE conversation_id = ? AND status != ? ORDER BY id DESC LIMIT ?",
                (conversation_id, MessageStatus.SUPERSEDED.value, limit),
            ) as cursor:
                rows = await cursor.fetchall()
        return [_row_to_message(row) for row in rows][::-1]

    async def all_messages(self, conversation_id: int) -> list[StoredMessage]:
        """Every message of a conversation, superseded ones included (for export and tests)."""
        async with self._db.read() as conn:
            async with conn.execute(
                f"SELECT {_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
            ) as cursor:
                rows = await cursor.fetchall()
        return [_row_to_message(row) for row in rows]
