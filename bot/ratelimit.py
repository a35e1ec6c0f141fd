"""Telegram rate limiting: PTB's AIORateLimiter, with live previews kept out of its queue."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

# Drafts and chat actions are previews: each is superseded by the next, Telegram documents no
# limit for drafts, and queueing them behind every other chat's messages (the global 30/s bucket)
# made answers arrive tens of seconds late under load (benchmarks/README.md). They still wait
# while a flood-control pause is in force.
UNQUEUED = frozenset({"sendMessageDraft", "sendChatAction"})


class BotRateLimiter(AIORateLimiter):
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint in UNQUEUED:
            await self._retry_after_event.wait()
            return await callback(*args, **kwargs)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
