"""Several bot processes on one PostgreSQL database (webhook mode behind a load balancer).

- `SharedUpdateProcessor`: `PerChatUpdateProcessor` (in order per chat within the process), plus, once a
  `Cluster` is attached (`shared`: DATABASE_URL and webhook mode), the chat's lease across processes
  (`chat:<id>`) while an ordered update is handled, and each update handled once: an update already
  claimed is dropped; it is claimed when its handling ends (a process that dies mid-way leaves it
  unclaimed, so Telegram's redelivery to another process is handled there). /stop, button presses and
  updates without a chat (which take no lease) are claimed first.
- `shared_windows`: each of `REPLICAS` processes takes its share of Telegram's bot-wide budgets.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from telegram import Update

from .core.cluster import Cluster, chat_lease
from .ordering import PerChatUpdateProcessor, _discard, jumps_the_queue
from .ratelimit import GLOBAL, GROUP, Window

log = logging.getLogger(__name__)


def shared_windows(replicas: int) -> tuple[Window, Window]:
    """FairRateLimiter's bot-wide and per-group windows for one of `replicas` processes (30/s, 20/min, divided).

    The private-chat window stays whole: a chat's answers are written by one process at a time (its lease).
    """
    if replicas <= 1:
        return GLOBAL, GROUP
    share = Window(max(1, GLOBAL.limit // replicas), GLOBAL.period)
    return share, Window(max(1, GROUP.limit // replicas), GROUP.period)


class _Once:
    """The handling of one update under the cluster's rules; closing it unstarted closes the update's coroutine."""

    def __init__(self, cluster: Cluster, update: Update, inner: Awaitable[Any], lease: str | None) -> None:
        self._inner = inner
        self._run = self._guarded(cluster, update, lease)

    def __await__(self) -> Generator[Any, None, None]:
        return self._run.__await__()

    def close(self) -> None:
        self._run.close()
        _discard(self._inner)

    async def _guarded(self, cluster: Cluster, update: Update, lease: str | None) -> None:
        if lease is None:  # nothing to order: claimed first
            if await cluster.claim(update.update_id):
                await self._inner
            else:
                self._dropped(update)
            return
        async with cluster.hold(lease):
            if await cluster.seen(update.update_id):
                self._dropped(update)
                return
            try:
                await self._inner
            finally:
                await cluster.claim(update.update_id)

    def _dropped(self, update: Update) -> None:
        _discard(self._inner)
        log.info("update %d was handled already (a redelivered or duplicated copy): dropped", update.update_id)


class SharedUpdateProcessor(PerChatUpdateProcessor):
    def __init__(
        self, max_concurrent_updates: int = 256, *, admits: Callable[[int, int | None], bool] | None = None
    ) -> None:
        super().__init__(max_concurrent_updates, admits=admits)
        self._cluster: Cluster | None = None

    def attach(self, cluster: Cluster) -> None:
        """From post_init on (the cluster needs the database): with `cluster.shared`, the rules above."""
        self._cluster = cluster if cluster.shared else None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        cluster = self._cluster
        if cluster is None or not isinstance(update, Update):
            await super().do_process_update(update, coroutine)
            return
        await super().do_process_update(update, _Once(cluster, update, coroutine, self._lease_of(update)))

    def _lease_of(self, update: Update) -> str | None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or jumps_the_queue(update):
            return None
        if user is not None and not self._admits(user.id, chat.id):
            return None
        return chat_lease(chat.id)
