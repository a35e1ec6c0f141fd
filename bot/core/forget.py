"""/forget: everything stored about a user deleted, on their word (the handler asks them to confirm first).

From the private chat it is everything: that chat's conversations (every topic) with their messages,
its settings, the user's usage rows and daily limits, their stored access grant (a denial stays: it is
what keeps them out), every task they started or that belongs to their private chat, and their own
messages in groups — replaced by "[deleted]" there, so each group's history keeps its shape. From a group
it is the user's messages and tasks in that group only (nothing about their private chat is said there).

Answers being written in the private chat are stopped first and its waiting turns dropped, so nothing
writes a row for it again while it is deleted. The caches that hold what was deleted are emptied.
"""

from __future__ import annotations

import asyncio

from storage import ChatKey, Forgotten, Storage

from .access import AccessPolicy
from .turn_queue import ChatTurnQueue
from .turns import TurnRegistry

SETTLE_SECONDS = 10.0  # a stopped answer in the private chat gets this long to store what it has


class ForgetService:
    def __init__(
        self,
        storage: Storage,
        access: AccessPolicy,
        turns: TurnRegistry,
        turn_queue: ChatTurnQueue,
        languages: dict[ChatKey, str],
    ) -> None:
        self._storage = storage
        self._access = access
        self._turns = turns
        self._queue = turn_queue
        self._languages = languages  # the process's per-chat language choices (Services.languages)
        self._busy: set[int] = set()  # users whose forgetting runs now (a double tap does it once)

    def loses_access(self, user_id: int) -> bool:
        """Forgetting deletes the grant that is this user's only way in."""
        return self._access.granted_only(user_id)

    def running(self, user_id: int) -> bool:
        return user_id in self._busy

    async def forget_user(self, user_id: int) -> Forgotten:
        """Everything about the user (see the module's text); the counts of what went."""
        self._busy.add(user_id)
        try:
            return await self._forget_user(user_id)
        finally:
            self._busy.discard(user_id)

    async def _forget_user(self, user_id: int) -> Forgotten:
        erasure = self._storage.erasure
        private = user_id  # a private chat's id is its user's
        self._turns.stop_chat(private)
        await self._queue.settle(private, SETTLE_SECONDS)
        found = Forgotten()
        remaining = await erasure.user_conversations(private)
        while remaining:
            done = await erasure.delete_conversations(remaining)
            self._storage.conversations.evict(done.places)
            found.add(done)
            remaining = done.remaining
            await asyncio.sleep(0)  # other chats' writes get the writer between batches
        while scrubbed := await erasure.scrub_messages(user_id):
            found.group_messages += scrubbed
            await asyncio.sleep(0)
        rows = await erasure.forget_user_rows(user_id)
        found.settings, found.usage_rows, found.limits = rows.settings, rows.usage_rows, rows.limits
        found.access, found.access_changes, found.tasks = rows.access, rows.access_changes, rows.tasks
        found.places.extend(rows.places)
        self._storage.settings.evict(rows.places)
        self._storage.usage.evict_limits(user_id)
        self._access.forget(user_id)
        for place in [place for place in self._languages if place.chat_id == private]:
            del self._languages[place]
        return found

    async def forget_in_group(self, user_id: int, chat_id: int) -> Forgotten:
        """The user's messages in this group (every topic) become "[deleted]"; their tasks here are deleted."""
        found = Forgotten()
        self._busy.add(user_id)
        try:
            while scrubbed := await self._storage.erasure.scrub_messages(user_id, chat_id):
                found.group_messages += scrubbed
                await asyncio.sleep(0)
            found.tasks = await self._storage.erasure.forget_user_in_group(user_id, chat_id)
        finally:
            self._busy.discard(user_id)
        return found
