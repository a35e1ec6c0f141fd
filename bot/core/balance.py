"""The key's own balance: shown to admins, and watched so they hear once when it runs low."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.wenwen.balance import BalanceClient
from bot.wenwen.balance import BalanceNotOffered as BalanceNotOffered  # re-exported for handlers
from bot.wenwen.balance import KeyBalance as KeyBalance  # re-exported for handlers
from storage import BotStateRepository

QUOTA_PER_USD = 500_000  # new-api's default rate, used only when the billing routes do not say USD
CACHE_SECONDS = 300.0  # the gateway rate-limits /api/usage/* hard (about 20 calls per 20 minutes)
WARNED_KEY = "low_balance_warned"


@dataclass(frozen=True, slots=True)
class LowBalance:
    """The balance crossed below LOW_BALANCE_USD (reported once per crossing)."""

    left_usd: float
    threshold_usd: float


def usd_left(balance: KeyBalance) -> float | None:
    """What is left in USD: the billing routes' figure, else the quota at new-api's default rate."""
    if balance.unlimited:
        return None
    if balance.usd_available is not None:
        return balance.usd_available
    return balance.available / QUOTA_PER_USD if balance.available is not None else None


class BalanceWatch:
    def __init__(self, client: BalanceClient, state: BotStateRepository, threshold_usd: float | None) -> None:
        self._client = client
        self._state = state
        self.threshold_usd = threshold_usd
        self._cached: tuple[float, KeyBalance] | None = None

    async def current(self, *, fresh: bool = False) -> KeyBalance:
        """The balance (cached for a few minutes); raises the gateway's typed errors, BalanceNotOffered included."""
        now = time.monotonic()
        if not fresh and self._cached is not None and now - self._cached[0] < CACHE_SECONDS:
            return self._cached[1]
        balance = await self._client.balance()
        self._cached = (now, balance)
        return balance

    async def check_low(self) -> LowBalance | None:
        """Once per crossing below the threshold: a LowBalance; back above it, the next crossing counts again."""
        if self.threshold_usd is None:
            return None
        left = usd_left(await self.current(fresh=True))
        if left is None:
            return None
        warned = await self._state.get(WARNED_KEY) is not None
        if left >= self.threshold_usd:
            if warned:
                await self._state.set(WARNED_KEY, None)
            return None
        if warned:
            return None
        await self._state.set(WARNED_KEY, f"{left:.4f}")
        return LowBalance(left, self.threshold_usd)
