"""Daily limits per user (UTC days): requests, chat tokens and images, checked before every paid call.

Every paid gateway call a user causes is *reserved* first: one request (and its images) is counted
at once, in the same transaction that checks the limits, so two racing calls cannot both take the
last one. A call that turns out not to have happened (refused, failed before an answer, its fate
unknown after a crash) is given back. Tokens are added when the gateway reports them; a call may
start while the user has tokens left. Admins have no limits (their use is still counted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from storage import NO_LIMIT, DayTotals, LimitName, UsageRepository, UserLimits

if TYPE_CHECKING:
    from bot.metrics import Metrics

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class LimitReached:
    """Why a paid call was not made: the limit, what was used today, and when the day starts again."""

    limit: LimitName
    used: int
    allowed: int
    resets_at: datetime  # the next UTC midnight


class DailyLimitReached(Exception):
    """Raised by services that make a paid call when the user is over a daily limit; no call was made."""

    def __init__(self, reached: LimitReached) -> None:
        super().__init__(f"daily {reached.limit} limit reached ({reached.used}/{reached.allowed})")
        self.reached = reached


@dataclass(frozen=True, slots=True)
class DayUse:
    """A user's use today against each limit that applies (None: no limit)."""

    used: DayTotals
    limits: DayTotals  # 0 = no limit
    resets_at: datetime


class DailyLimits:
    def __init__(
        self,
        usage: UsageRepository,
        defaults: DayTotals,
        is_admin: Callable[[int], bool],
        clock: Clock = utc_now,
        metrics: Metrics | None = None,
    ) -> None:
        self._metrics = metrics
        self._usage = usage
        self._defaults = defaults
        self._is_admin = is_admin
        self.clock = clock  # replaceable: tests move the day on

    def today(self) -> date:
        return self.clock().astimezone(UTC).date()

    def resets_at(self) -> datetime:
        return datetime.combine(self.today() + timedelta(days=1), time(0), tzinfo=UTC)

    async def limits_for(self, user_id: int) -> DayTotals:
        """The limits that apply to the user today (0 = none): their own where set, else the defaults."""
        if self._is_admin(user_id):
            return DayTotals()
        own = await self._usage.limits_of(user_id)
        return DayTotals(
            _pick(own.requests, self._defaults.requests),
            _pick(own.tokens, self._defaults.tokens),
            _pick(own.images, self._defaults.images),
        )

    async def reserve(self, user_id: int, model: str, *, images: int = 0) -> LimitReached | None:
        """Count one paid call (and its images) now, or say which limit stops it (then nothing is counted)."""
        limits = await self.limits_for(user_id)
        over = await self._usage.reserve(
            user_id, self.today(), model, images=images, limits=limits if any(_values(limits)) else None
        )
        if over is None:
            return None
        if self._metrics is not None:
            self._metrics.limit_refused(over.limit)
        return LimitReached(over.limit, over.used, over.allowed, self.resets_at())

    async def charge(self, user_id: int, model: str, *, images: int = 0) -> None:
        """`reserve`, raising DailyLimitReached when over a limit."""
        reached = await self.reserve(user_id, model, images=images)
        if reached is not None:
            raise DailyLimitReached(reached)

    async def give_back(self, user_id: int, model: str, *, images: int = 0, day: date | None = None) -> None:
        """The reserved call (of `day`, today by default) did not happen or its fate is unknown: it does not count."""
        await self._usage.record(user_id, day or self.today(), model, requests=-1, images=-images)

    async def add_tokens(self, user_id: int, model: str, prompt: int, completion: int) -> None:
        await self._usage.record(user_id, self.today(), model, prompt_tokens=prompt, completion_tokens=completion)

    async def day_use(self, user_id: int) -> DayUse:
        used = await self._usage.totals(user_id, self.today())
        return DayUse(used, await self.limits_for(user_id), self.resets_at())

    async def own_limits(self, user_id: int) -> UserLimits:
        return await self._usage.limits_of(user_id)

    async def set_own_limit(self, user_id: int, name: LimitName, value: int | None) -> None:
        """A user's own limit for `name`: a number, NO_LIMIT (none), or None (back to the default)."""
        await self._usage.set_limit(user_id, name, value)

    @property
    def defaults(self) -> DayTotals:
        return self._defaults


def _pick(own: int | None, default: int) -> int:
    if own is None:
        return default
    return 0 if own == NO_LIMIT else own


def _values(limits: DayTotals) -> tuple[int, int, int]:
    return limits.requests, limits.tokens, limits.images
