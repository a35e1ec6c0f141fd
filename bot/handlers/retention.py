"""HISTORY_RETENTION_DAYS: the daily job that deletes conversations idle for longer (core.retention does it)."""

from __future__ import annotations

from bot.context import BotContext

RETENTION_INTERVAL = 24 * 3600.0  # once a day …
RETENTION_FIRST = 120.0  # … and shortly after each start (not at once: redelivered updates come first)


async def retention_job(context: BotContext) -> None:
    """One run; it ends early between two batches when the bot stops (the next run goes on)."""
    application = context.application
    await context.services.retention.run(keep_going=lambda: application.running)
