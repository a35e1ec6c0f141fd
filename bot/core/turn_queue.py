"""One answer at a time per chat; what arrives meanwhile is answered together by one follow-up turn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from storage import ChatKey

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
# held while a chat's jobs run: with several processes, the chat's lease (bot/core/cluster.py)
Guard = Callable[[ChatKey], AbstractAsyncContextManager[None]]
MAX_WAITING = 3  # jobs of different kinds waiting in one chat; a flood replaces the last one


@dataclass(slots=True)
class _Waiting:
    kind: str
    job: Job


@dataclass(slots=True)
class _Chat:
    task: asyncio.Task[None] | None = None
    waiting: list[_Waiting] = field(default_factory=list)


class ChatTurnQueue:
    """Runs each chat's turns one after another, outside the update that asked for them.

    A job answers everything the chat has not had an answer to yet, so jobs of one kind that wait
    together collapse into the newest: 300 messages sent during a slow answer cost one more
    request, not 300. The update that submits a job returns at once and holds no slot meanwhile.
    """

    def __init__(self) -> None:
        self._chats: dict[ChatKey, _Chat] = {}
        self._closed = False
        self.guard: Guard | None = None  # one process: none needed

    def submit(self, chat: ChatKey, job: Job, kind: str = "answer") -> None:
        if self._closed:
            return
        state = self._chats.setdefault(chat, _Chat())
        if state.task is None:
            state.task = asyncio.create_task(self._run(chat, state, job), name=f"turns:{chat.chat_id}")
            return
        if state.waiting and (state.waiting[-1].kind == kind or len(state.waiting) >= MAX_WAITING):
            state.waiting[-1] = _Waiting(kind, job)
        else:
            state.waiting.append(_Waiting(kind, job))

    def busy(self, chat: ChatKey) -> bool:
        return chat in self._chats

    async def _run(self, chat: ChatKey, state: _Chat, job: Job) -> None:
        guard = self.guard(chat) if self.guard is not None else contextlib.nullcontext()
        try:
            async with guard:
                await self._jobs(state, job)
        except Exception:  # the guard's database failed: the messages are stored, recovery answers them
            log.exception("a chat's turns could not run")
        finally:
            self._chats.pop(chat, None)

    async def _jobs(self, state: _Chat, job: Job) -> None:
        while True:
            try:
                await job()
            except Exception:  # jobs report their own failures; this only keeps the chat's queue alive
                log.exception("a queued turn failed")
            if not state.waiting:
                return
            job = state.waiting.pop(0).job

    async def idle(self) -> None:
        """Wait until no chat has a turn running or waiting (tests, benchmarks, shutdown)."""
        while self._chats:
            tasks = [state.task for state in self._chats.values() if state.task is not None]
            await asyncio.gather(*tasks, return_exceptions=True)

    async def settle(self, chat_id: int, within: float) -> bool:
        """Drop the chat's waiting jobs (all topics) and wait up to `within` seconds for its running ones
        to end (stop them first); True once nothing runs there. For /forget: nothing may write to it then."""
        tasks = []
        for chat, state in self._chats.items():
            if chat.chat_id == chat_id:
                state.waiting.clear()
                if state.task is not None:
                    tasks.append(state.task)
        if not tasks:
            return True
        _, pending = await asyncio.wait(tasks, timeout=within)
        return not pending

    async def finish(self, grace: float, interrupt: Callable[[], int], after_interrupt: float = 2.0) -> int:
        """A graceful stop: nothing new starts; running turns get `grace` seconds, then `interrupt()` ends
        them (each leaves its partial text and a note) and they get `after_interrupt` more. Waiting jobs
        are dropped: their messages are stored, and the next start answers them. Returns how many were cut."""
        self._closed = True
        for state in self._chats.values():
            state.waiting.clear()
        tasks = [state.task for state in self._chats.values() if state.task is not None]
        if not tasks:
            return 0
        _, pending = await asyncio.wait(tasks, timeout=grace)
        if not pending:
            return 0
        cut = interrupt()
        _, still = await asyncio.wait(pending, timeout=after_interrupt)
        for task in still:
            task.cancel()
        return cut

    async def close(self) -> None:
        """Cancel what runs (answers keep what they stored) and drop what waits."""
        self._closed = True
        tasks = [state.task for state in self._chats.values() if state.task is not None]
        for state in self._chats.values():
            state.waiting.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
