"""PTB's context and `bot_data` for this bot, typed (docs/architecture.md, "The services object").

`build_application` passes `ContextTypes(context=BotContext, bot_data=BotData)` to PTB, so every handler
and job gets a `BotContext`: `context.services` is the process's `Services`, and `context.bot_data` a
`BotData` whose attributes mypy checks (no string keys, no `assert isinstance`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast

from telegram import Message
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

if TYPE_CHECKING:
    from .health import HealthServer
    from .wiring import Services


class Listening(Protocol):
    """The webhook server, as the health check sees it (bot/webhook.py)."""

    @property
    def listening(self) -> bool: ...


class BotData:
    """What the process keeps on the Application (PTB makes one, with no arguments)."""

    def __init__(self) -> None:
        self._services: Services | None = None
        # album parts waiting for the rest of their album, by media group id (handlers/albums.py)
        self.albums: dict[str, list[Message]] = {}
        self.health_server: HealthServer | None = None  # when HEALTH_PORT is set (bot/health.py)
        self.webhook_server: Listening | None = None  # in webhook mode (bot/webhook.py); /healthz asks it

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the services are made in post_init; nothing may run before it")
        return self._services

    @property
    def started(self) -> bool:
        """Whether post_init has made the services (shutdown hooks run after a failed start too)."""
        return self._services is not None

    def set_services(self, services: Services) -> None:
        self._services = services


class BotContext(CallbackContext[ExtBot[str], dict[Any, Any], dict[Any, Any], BotData]):
    """The context of every handler, job and error handler of this bot.

    (`ExtBot[str]`: the rate limiter's per-call argument is a mark, `bot.ratelimit.PREVIEW`.)
    """

    @property
    def services(self) -> Services:
        return self.bot_data.services

    # PTB types these two with a type variable (the context class) that only its __init__ binds, so mypy
    # cannot see through them; narrowed here to what they are. (The ignores: the supertype's types are
    # generic in that unbound variable, which no override can match.)
    @property
    def application(self) -> BotApplication:  # type: ignore[override]
        return cast("BotApplication", super().application)

    @property
    def job_queue(self) -> JobQueue[BotContext] | None:  # type: ignore[override]
        return cast("JobQueue[BotContext] | None", super().job_queue)


BotApplication: TypeAlias = Application[
    ExtBot[str], BotContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[BotContext]
]
CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)
