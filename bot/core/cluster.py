"""This process among others sharing one database: leases, the task-poll leader, updates once, remote stops.

One `Cluster` per process (`Services.cluster`), holder name `host:pid:random`. A background loop renews
every lease the process has each `seconds / 3` (one UPDATE for all of them) and tries for the `leader`
lease, so a holder that dies loses its leases within `seconds` and the leader is taken over within
`seconds * 4 / 3`. With `shared` off (SQLite, or long polling: one process) nothing is asked of the
database: `hold` is free, the process always leads, and updates are never claimed.

- `take_poller`: the one long-polling process (Telegram allows one `getUpdates` at a time).
- `hold(name)`: a lease held while an update of a chat (`chat:<id>`) or a chat's answer (`turn:<id>:<thread>`)
  is handled, waited for while another process has it; reentrant within the process (counted).
- `leads()`: whether this process runs the Midjourney and task polls.
- `stop_elsewhere` / the stop loop: a /stop for an answer another process writes is a `stop_requests` row,
  which every process reads twice a second and applies to its own running turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from storage import ChatKey
from storage.claims import KEEP_SECONDS, ClaimRepository
from storage.leases import LeaseRepository, StopRepository, StopRequest

log = logging.getLogger(__name__)

POLLER, LEADER = "poller", "leader"
STOP_POLL = 0.5  # seconds between reads of the stop requests (a stop reaches its answer within a second)
STOP_FRESH = 10.0  # seconds: an older stop request is for an answer that has ended
WAIT_FIRST, WAIT_MOST = 0.02, 0.2  # seconds between tries for a lease another process has


def chat_lease(chat_id: int) -> str:
    return f"chat:{chat_id}"


def turn_lease(chat: ChatKey) -> str:
    return f"turn:{chat.chat_id}:{chat.thread_id}"


class AnotherPoller(RuntimeError):
    """Another process of this bot is long-polling with the same database."""


class Cluster:
    def __init__(
        self,
        leases: LeaseRepository,
        claims: ClaimRepository,
        stops: StopRepository,
        *,
        shared: bool,
        seconds: float = 10.0,
    ) -> None:
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.shared = shared
        self.seconds = seconds
        self._leases, self._claims, self._stops = leases, claims, stops
        self._held: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._leader = False
        self._needs_lease = shared  # long polling sets it too (the poller lease), without sharing
        self._tasks: list[asyncio.Task[None]] = []
        self._last_stop = 0
        self.on_stop: Callable[[StopRequest], bool | None] | None = None
        self.on_lead: Callable[[], None] | None = None  # called when this process becomes the leader

    # ------------------------------------------------------------------ life cycle

    async def take_poller(self) -> None:
        """Long polling: this process is the only poller, or AnotherPoller."""
        if not await self._leases.take(POLLER, self.holder, self.seconds):
            raise AnotherPoller(await self._leases.holder_of(POLLER) or "?")
        self._needs_lease = True

    async def start(self) -> None:
        if not self._needs_lease:
            return
        if self.shared:
            self._last_stop = await self._stops.last_id()
            await self._try_lead()
            self._tasks.append(asyncio.create_task(self._stop_loop(), name="cluster-stops"))
        self._tasks.append(asyncio.create_task(self._renew_loop(), name="cluster-leases"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._needs_lease:
            try:
                await self._leases.release_all(self.holder)  # the others need not wait for the expiry
            except Exception as error:  # the database is going away too: the leases expire on their own
                log.warning("leases not released: %s", error)

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self.seconds / 3)
            try:
                await self._leases.renew_all(self.holder, self.seconds)
                if self.shared:
                    await self._try_lead()
            except Exception as error:  # a database hiccup: the next round tries again
                log.warning("could not renew this process's leases: %s", error)

    async def _try_lead(self) -> None:
        was = self._leader
        self._leader = await self._leases.take(LEADER, self.holder, self.seconds)
        if self._leader and not was:
            log.info("this process (%s) now polls the tasks", self.holder)
            if self.on_lead is not None:
                self.on_lead()
        elif was and not self._leader:
            log.warning("this process (%s) lost the task-poll lease", self.holder)

    def leads(self) -> bool:
        return not self.shared or self._leader

    # ------------------------------------------------------------------ leases for chats

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        """The lease `name` for as long as the block runs (free when not shared)."""
        if not self.shared:
            yield
            return
        lock = self._locks.setdefault(name, asyncio.Lock())
        async with lock:
            if not self._held.get(name):
                await self._wait_for(name)
            self._held[name] = self._held.get(name, 0) + 1
        try:
            yield
        finally:
            self._held[name] -= 1
            if not self._held[name]:
                del self._held[name]
                self._locks.pop(name, None)
                with contextlib.suppress(Exception):  # not released: it expires within `seconds`
                    await asyncio.shield(self._leases.release(name, self.holder))

    async def _wait_for(self, name: str) -> None:
        pause = WAIT_FIRST
        while not await self._leases.take(name, self.holder, self.seconds):
            await asyncio.sleep(pause)
            pause = min(WAIT_MOST, pause * 2)

    def turn_guard(self, chat: ChatKey) -> contextlib.AbstractAsyncContextManager[None]:
        """What `ChatTurnQueue` holds while a chat's answers are written."""
        return self.hold(turn_lease(chat))

    async def busy_anywhere(self, chat: ChatKey) -> bool:
        """Whether some process (this one included) is handling the chat's update or writing its answer."""
        for name in (turn_lease(chat), chat_lease(chat.chat_id)):
            if await self._leases.holder_of(name) is not None:
                return True
        return False

    # ------------------------------------------------------------------ updates once

    async def seen(self, update_id: int) -> bool:
        return self.shared and await self._claims.claimed(update_id)

    async def claim(self, update_id: int) -> bool:
        """True for the first claim of the update (always true when not shared)."""
        return not self.shared or await self._claims.claim_update(update_id, self.holder)

    async def forget_old_claims(self) -> int:
        return await self._claims.forget_before(time.time() - KEEP_SECONDS) if self.shared else 0

    # ------------------------------------------------------------------ stops

    async def stop_elsewhere(self, chat: ChatKey, by: int, *, may_stop_any: bool) -> bool:
        """A stop for an answer another process writes: True if one does (the request is written)."""
        if not self.shared:
            return False
        holder = await self._leases.holder_of(turn_lease(chat))
        if holder is None or holder == self.holder:
            return False
        await self._stops.request(chat.chat_id, chat.thread_id, by, may_stop_any=may_stop_any)
        return True

    async def _stop_loop(self) -> None:
        while True:
            await asyncio.sleep(STOP_POLL)
            try:
                await self._apply_stops()
            except Exception as error:
                log.warning("could not read the stop requests: %s", error)

    async def _apply_stops(self) -> None:
        requests = await self._stops.after(self._last_stop)
        if not requests:
            return
        self._last_stop = requests[-1].id
        fresh = time.time() - STOP_FRESH
        for request in requests:
            if request.requested_at >= fresh and self.on_stop is not None:
                self.on_stop(request)
        if self._leader:
            await self._stops.forget_before(time.time() - 60 * STOP_FRESH)
