"""Deleting what is stored: conversations idle past the retention period, and everything about one user (/forget).

Both work in bounded transactions — at most `max_messages` messages deleted or rewritten in one — so a
large backlog never holds the one writer for long: other chats' writes get their turn between batches.
Deleting a message also removes its full-text row (the `messages_fts_delete` trigger of migration 10) and
its embedding (`message_embeddings` cascades); deleting a task removes its buttons (`mj_buttons` cascades).

Whoever adds a table that holds a user id or a chat id must teach `forget_user` about it:
`tests/e2e/test_forget.py` looks for the user's id in every table and column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .db import Database
from .models import ChatKey
from .sql import Connection

DELETED_TEXT = "[deleted]"  # what stays of a forgotten user's message in a group's history
DELETED_TOKENS = 3  # its token estimate
BATCH_MESSAGES = 200  # messages deleted (or rewritten) in one transaction at most (~30 ms with the index)

# The last activity of conversation `c`: its newest message, or its creation when it has none (one index seek).
_LAST_ACTIVITY = (
    "COALESCE((SELECT m.created_at FROM messages m WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1), "
    "c.created_at)"
)


@dataclass(frozen=True, slots=True)
class Deleted:
    """One bounded transaction's work on a list of conversations."""

    conversations: int  # deleted whole
    messages: int
    places: tuple[ChatKey, ...]  # where conversations were deleted (a cache of their current one is stale)
    remaining: list[int]  # conversation ids still to do (the first one may be partly deleted already)


@dataclass(slots=True)
class Forgotten:
    """What /forget deleted (or, for messages in groups, replaced by DELETED_TEXT)."""

    conversations: int = 0  # of the private chat (every topic)
    messages: int = 0  # in those conversations
    group_messages: int = 0  # the user's own messages in groups, now DELETED_TEXT
    settings: int = 0  # chat_settings rows of the private chat (per topic)
    usage_rows: int = 0  # usage_daily rows (a day and a model each)
    limits: int = 0  # the user's own daily limits (0 or 1)
    access: int = 0  # stored grants (a denial is kept)
    tasks: int = 0  # Midjourney and other gateway tasks (finished or not)
    access_changes: int = 0  # grants and denials the user made as an admin: kept, their author cleared
    places: list[ChatKey] = field(default_factory=list)  # conversations' and settings' places (stale caches)

    def add(self, batch: Deleted) -> None:
        self.conversations += batch.conversations
        self.messages += batch.messages
        self.places.extend(batch.places)


class ErasureRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ retention

    async def idle_conversations(self, before: float, after_id: int, window: int) -> tuple[list[int], int | None]:
        """Of the `window` conversations after `after_id` (by id), those with no message since `before`.

        Returns them and the last id looked at, None once the table's end was reached. A read: it holds no
        writer, and each call looks at a bounded number of conversations (one index seek each).
        """
        async with self._db.read() as conn:
            async with conn.execute(
                f"SELECT c.id, {_LAST_ACTIVITY} < ? AS idle FROM conversations c WHERE c.id > ? ORDER BY c.id LIMIT ?",
                (before, after_id, window),
            ) as cursor:
                rows = list(await cursor.fetchall())
        idle = [int(row[0]) for row in rows if row[1]]
        last = int(rows[-1][0]) if len(rows) == window else None
        return idle, last

    async def delete_idle(
        self, conversation_ids: Sequence[int], before: float, max_messages: int = BATCH_MESSAGES
    ) -> Deleted:
        """Delete these conversations, those still without a message since `before`, in one transaction.

        Whole conversations while the budget lasts; one bigger than the whole budget loses its oldest
        `max_messages` messages now and stays first in `remaining`. Idleness is checked again inside the
        transaction: a conversation a message reached meanwhile is left alone.
        """
        return await self._delete_conversations(conversation_ids, max_messages, idle_before=before)

    # ------------------------------------------------------------------ /forget

    async def user_conversations(self, chat_id: int) -> list[int]:
        """Every conversation of a private chat, all topics (a private chat's id is its user's)."""
        async with self._db.read() as conn:
            async with conn.execute("SELECT id FROM conversations WHERE chat_id = ? ORDER BY id", (chat_id,)) as cur:
                return [int(row[0]) for row in await cur.fetchall()]

    async def delete_conversations(
        self, conversation_ids: Sequence[int], max_messages: int = BATCH_MESSAGES
    ) -> Deleted:
        """Delete these conversations and their messages (bounded, as `delete_idle`), idle or not."""
        return await self._delete_conversations(conversation_ids, max_messages, idle_before=None)

    async def scrub_messages(self, user_id: int, chat_id: int | None = None, max_messages: int = BATCH_MESSAGES) -> int:
        """Replace up to `max_messages` of the user's messages (in `chat_id`, else anywhere) by DELETED_TEXT.

        The rows stay, so the history keeps its shape (an answer still follows its question); their text,
        images, documents, language and the user's id go, and so do their embeddings and a title the model
        made from a conversation's first of them. Returns how many were rewritten: call again until 0.
        """
        where = "m.user_id = ?"
        params: tuple[Any, ...] = (user_id,)
        if chat_id is not None:
            where += " AND m.conversation_id IN (SELECT c.id FROM conversations c WHERE c.chat_id = ?)"
            params += (chat_id,)
        async with self._db.transaction() as conn:
            async with conn.execute(
                f"SELECT m.id FROM messages m WHERE {where} ORDER BY m.id LIMIT ?", (*params, max_messages)
            ) as cur:
                ids = [int(row[0]) for row in await cur.fetchall()]
            if not ids:
                return 0
            marks = ",".join("?" * len(ids))
            # a title the model wrote from the conversation's first question (hers) goes with its words
            await conn.execute(
                "UPDATE conversations SET title = NULL, title_source = NULL WHERE title_source = 'model' AND id IN ("
                f"SELECT m.conversation_id FROM messages m WHERE m.id IN ({marks}) AND m.id = (SELECT MIN(f.id) "
                "FROM messages f WHERE f.conversation_id = m.conversation_id AND f.role = 'user'))",
                ids,
            )
            await conn.execute(f"DELETE FROM message_embeddings WHERE message_id IN ({marks})", ids)
            await conn.execute(
                "UPDATE messages SET content = ?, user_id = NULL, attachments = NULL, documents = NULL, lang = NULL, "
                f"images_refused = 0, token_estimate = ? WHERE id IN ({marks})",
                (DELETED_TEXT, DELETED_TOKENS, *ids),
            )
        return len(ids)

    async def forget_user_rows(self, user_id: int) -> Forgotten:
        """Everything else stored about the user, in one transaction (a few small tables).

        Their private chat's settings, their usage and limits, their stored access grants (a denial
        stays: it is what keeps them out), every task they started or that belongs to their private chat;
        grants and denials they made as an admin keep their subject and lose their author.
        """
        found = Forgotten()
        async with self._db.transaction() as conn:
            async with conn.execute("SELECT thread_id FROM chat_settings WHERE chat_id = ?", (user_id,)) as cur:
                found.places = [ChatKey(user_id, int(row[0])) for row in await cur.fetchall()]
            found.settings = await _count(conn, "DELETE FROM chat_settings WHERE chat_id = ?", (user_id,))
            found.usage_rows = await _count(conn, "DELETE FROM usage_daily WHERE user_id = ?", (user_id,))
            found.limits = await _count(conn, "DELETE FROM user_limits WHERE user_id = ?", (user_id,))
            found.access = await _count(
                conn, "DELETE FROM access WHERE subject_id = ? AND state != 'denied'", (user_id,)
            )
            found.access_changes = await _count(
                conn, "UPDATE access SET changed_by = NULL WHERE changed_by = ?", (user_id,)
            )
            found.tasks = await _delete_tasks(conn, "user_id = ? OR chat_id = ?", (user_id, user_id))
            # /stop requests between processes (several processes on one database): short-lived, but theirs
            await conn.execute("DELETE FROM stop_requests WHERE requested_by = ? OR chat_id = ?", (user_id, user_id))
        return found

    async def forget_user_in_group(self, user_id: int, chat_id: int) -> int:
        """The tasks the user started in this group (their images stay in the chat; the buttons stop working)."""
        async with self._db.transaction() as conn:
            return await _delete_tasks(conn, "user_id = ? AND chat_id = ?", (user_id, chat_id))

    # ------------------------------------------------------------------ shared

    async def _delete_conversations(
        self, conversation_ids: Sequence[int], max_messages: int, *, idle_before: float | None
    ) -> Deleted:
        budget = max_messages
        conversations = messages = 0
        places: list[ChatKey] = []
        remaining = list(conversation_ids)
        async with self._db.transaction() as conn:
            while remaining and budget > 0:
                conversation = remaining[0]
                idle = f" AND {_LAST_ACTIVITY} < ?" if idle_before is not None else ""
                params: tuple[Any, ...] = (conversation,) if idle_before is None else (conversation, idle_before)
                async with conn.execute(
                    f"SELECT c.chat_id, c.thread_id FROM conversations c WHERE c.id = ?{idle}", params
                ) as cur:
                    place = await cur.fetchone()
                if place is None:  # gone already, or written to meanwhile
                    remaining.pop(0)
                    continue
                async with conn.execute(
                    "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", (conversation,)
                ) as cur:
                    row = await cur.fetchone()
                count = int(row[0]) if row else 0
                if count > budget:
                    if budget < max_messages:  # a big one starts a transaction of its own
                        break
                    messages += await _count(
                        conn,
                        "DELETE FROM messages WHERE id IN "
                        "(SELECT id FROM messages WHERE conversation_id = ? ORDER BY id LIMIT ?)",
                        (conversation, budget),
                    )
                    budget = 0
                    break
                messages += await _count(conn, "DELETE FROM messages WHERE conversation_id = ?", (conversation,))
                await conn.execute("DELETE FROM conversations WHERE id = ?", (conversation,))
                conversations += 1
                places.append(ChatKey(int(place[0]), int(place[1])))
                budget -= max(count, 1)  # an empty conversation costs a little too: no batch is unbounded
                remaining.pop(0)
        return Deleted(conversations, messages, tuple(dict.fromkeys(places)), remaining)


async def _count(conn: Connection, sql: str, params: Iterable[Any]) -> int:
    cursor = await conn.execute(sql, tuple(params))
    return max(int(cursor.rowcount), 0)


async def _delete_tasks(conn: Connection, where: str, params: tuple[Any, ...]) -> int:
    """Gateway tasks of every kind (Midjourney's live in `tasks` too since migration 15); a task made from
    one of them (an upscale of someone else's grid) loses its parent link; buttons go with their task."""
    async with conn.execute(f"SELECT id FROM tasks WHERE {where}", params) as cur:
        ids = [int(row[0]) for row in await cur.fetchall()]
    deleted = 0
    for start in range(0, len(ids), BATCH_MESSAGES):
        chunk = ids[start : start + BATCH_MESSAGES]
        marks = ",".join("?" * len(chunk))
        await conn.execute(f"UPDATE tasks SET parent_id = NULL WHERE parent_id IN ({marks})", chunk)
        deleted += await _count(conn, f"DELETE FROM tasks WHERE id IN ({marks})", chunk)
    return deleted
