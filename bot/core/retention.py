"""HISTORY_RETENTION_DAYS: conversations with no message for that long are deleted, once a day.

A run looks at the conversations a window at a time (a read), deletes the idle ones in transactions of
at most `storage.erasure.BATCH_MESSAGES` messages with a pause between them, so a year of backlog never
holds the writer for long, and then gives the freed pages back to the file system (`reclaim_space`,
bounded as well). A stop between batches ends the run; the next one goes on where it is needed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from storage import Storage
from storage.db import Reclaimed

from .limits import Clock, utc_now

log = logging.getLogger(__name__)

WINDOW = 500  # conversations looked at per read
PAUSE = 0.05  # seconds between two deleting transactions


@dataclass(frozen=True, slots=True)
class RetentionReport:
    conversations: int
    messages: int
    reclaimed: Reclaimed | None  # None: nothing was deleted, or the backend returns space itself
    finished: bool  # False: the run was stopped before it had looked at every conversation


class HistoryRetention:
    def __init__(
        self,
        storage: Storage,
        days: int | None,
        *,
        clock: Clock = utc_now,
        quiet: Callable[[], bool] = lambda: True,
    ) -> None:
        self._storage = storage
        self.days = days  # None: keep forever
        self.clock = clock  # replaceable: tests move the date on
        self._quiet = quiet  # no answer being written: the one-time rewrite of the file may run
        self._running = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self.days is not None

    async def run(self, keep_going: Callable[[], bool] = lambda: True) -> RetentionReport:
        """One pass over every conversation; `keep_going()` is asked between batches (False: stop now)."""
        if self.days is None:
            return RetentionReport(0, 0, None, True)
        async with self._running:  # a run that overlaps the last one's end waits for it
            return await self._run(self.days, keep_going)

    async def _run(self, days: int, keep_going: Callable[[], bool]) -> RetentionReport:
        before = (self.clock() - timedelta(days=days)).timestamp()
        erasure = self._storage.erasure
        conversations = messages = 0
        after: int | None = 0
        while after is not None:
            if not keep_going():
                return self._report(conversations, messages, None, finished=False)
            idle, after = await erasure.idle_conversations(before, after, WINDOW)
            while idle:
                if not keep_going():
                    return self._report(conversations, messages, None, finished=False)
                done = await erasure.delete_idle(idle, before)
                self._storage.conversations.evict(done.places)
                conversations += done.conversations
                messages += done.messages
                idle = done.remaining
                await asyncio.sleep(PAUSE)
        # also when this run deleted nothing: what an earlier one (or /history, /forget) freed is returned
        reclaimed = await self._storage.db.reclaim_space(may_rewrite=self._quiet(), keep_going=keep_going)
        return self._report(conversations, messages, reclaimed, finished=True)

    def _report(
        self, conversations: int, messages: int, reclaimed: Reclaimed | None, *, finished: bool
    ) -> RetentionReport:
        """The run's one log line, counts only (no chat, user or text)."""
        report = RetentionReport(conversations, messages, reclaimed, finished)
        returned = reclaimed is not None and (reclaimed.pages > 0 or reclaimed.rewritten)
        if conversations or messages or returned or not finished or (reclaimed and reclaimed.note):
            freed = f"; {reclaimed.bytes >> 10} KB returned to the file system" if reclaimed and returned else ""
            note = f" ({reclaimed.note})" if reclaimed and reclaimed.note else ""
            stopped = "" if finished else " (stopped before the end: the next run goes on)"
            log.info(
                "retention: deleted %d conversation(s) with %d message(s) idle for over %d days%s%s%s",
                conversations,
                messages,
                self.days,
                freed,
                note,
                stopped,
            )
        return report
