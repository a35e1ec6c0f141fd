"""Jobs of several processes on one database (bot/core/cluster.py); each runs in the leader only."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from bot.context import BotContext

from .recovery import recover_unfinished

log = logging.getLogger(__name__)

ORPHAN_INTERVAL = 5.0  # seconds between the leader's looks for answers a dead process left
CLAIMS_INTERVAL = 3600.0  # seconds between forgetting update claims past Telegram's redelivery

Job = Callable[[BotContext], Coroutine[Any, Any, None]]


def when_leading(job: Job) -> Job:
    """The job runs in the process that leads (always, with one process); the others skip the tick."""

    async def run(context: BotContext) -> None:
        if context.services.cluster.leads():
            await job(context)

    run.__name__ = run.__qualname__ = job.__name__
    return run


async def orphan_job(context: BotContext) -> None:
    """Answers a dead process was writing (its turn lease expired) and questions it took but never answered.

    Only what is older than LEASE_SECONDS and that no live process holds a lease for is touched: the
    recovery a restart does, for a process that will not restart."""
    svc = context.services
    if not svc.cluster.leads():
        return
    await recover_unfinished(context.application, time.time() - svc.cluster.seconds, "a stopped process left")


async def forget_claims_job(context: BotContext) -> None:
    if context.services.cluster.leads():
        forgotten = await context.services.cluster.forget_old_claims()
        if forgotten:
            log.info("forgot %d update claim(s) past Telegram's redelivery", forgotten)
