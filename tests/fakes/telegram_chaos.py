"""Seeded chaos for FakeTelegram: a share of the bot's Bot API calls fail the way a real network does.

    tg.chaos(seed=7, rate=0.2)             # 20 % of calls (getUpdates, getMe, getFile spared)
    tg.chaos(seed=7, rate=0.5, kinds=("drop_after",), methods={"sendMessage"})
    ...
    tg.chaos_off()
    tg.chaos_faults                         # every injected fault, in order

Kinds:

* ``"429"`` — ``Too Many Requests: retry after 1`` with ``retry_after`` 1 (nothing happened);
* ``"500"`` — ``Internal Server Error`` (nothing happened);
* ``"drop_before"`` — the connection is aborted before the fake acts (nothing happened);
* ``"drop_after"`` — the fake acts (the message is sent, edited, deleted …), records the call as
  answered, then aborts the connection without a response: the client sees a network error
  (httpx ``RemoteProtocolError`` → PTB ``NetworkError``) although the action took place.

Each faulted call carries ``Call.chaos``; only the first three kinds replace the fake's own answer,
so :data:`REPLACED` tells which calls' statuses were made up by the chaos.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from tests.fakes.telegram_methods import Call
from tests.fakes.telegram_text import ApiError

KINDS = ("429", "500", "drop_before", "drop_after")
SPARED = frozenset({"getUpdates", "getMe", "getFile"})
REPLACED = frozenset({"429", "500", "drop_before"})  # the call's status is the chaos's, not the fake's
DROPPED_STATUS = 599  # recorded for drop_before: no answer was ever written


class Dropped(Exception):
    """Raised inside request handling: abort the connection without acting."""


@dataclass(frozen=True, slots=True)
class ChaosFault:
    call: Call
    kind: str

    @property
    def method(self) -> str:
        return self.call.method

    @property
    def chat_id(self) -> object:
        return self.call.params.get("chat_id")


class TelegramChaos:
    """Decides, per call and from one seeded ``random.Random``, whether and how it fails."""

    def __init__(
        self,
        seed: int,
        rate: float,
        kinds: Iterable[str] = KINDS,
        methods: Collection[str] | None = None,
        spared: Collection[str] = SPARED,
    ) -> None:
        self.kinds = tuple(kinds)
        unknown = set(self.kinds) - set(KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"chaos kinds must be some of {KINDS}, not {sorted(unknown)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self.rate = rate
        self.methods = frozenset(methods) if methods is not None else None
        self.spared = frozenset(spared)
        self._rng = random.Random(seed)

    def pick(self, method: str) -> str | None:
        if method in self.spared or (self.methods is not None and method not in self.methods):
            return None
        if self._rng.random() >= self.rate:
            return None
        return self._rng.choice(self.kinds)


def inject(chaos: TelegramChaos | None, call: Call, faults: list[ChaosFault]) -> None:
    """Called after the request is decoded and authorised: raise the chosen fault (or mark drop_after)."""
    kind = chaos.pick(call.method) if chaos is not None else None
    if kind is None:
        return
    call.chaos = kind
    faults.append(ChaosFault(call, kind))
    if kind == "429":
        raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
    if kind == "500":
        raise ApiError(500, "Internal Server Error")
    if kind == "drop_before":
        raise Dropped


class ChaosMixin:
    """The test-facing chaos API of FakeTelegram."""

    _chaos: TelegramChaos | None = None

    @property
    def chaos_faults(self) -> list[ChaosFault]:
        faults: list[ChaosFault] | None = self.__dict__.get("_chaos_faults")
        if faults is None:
            faults = self.__dict__["_chaos_faults"] = []
        return faults

    def chaos(
        self,
        seed: int,
        rate: float,
        *,
        kinds: Iterable[str] = KINDS,
        methods: Collection[str] | None = None,
        spared: Collection[str] = SPARED,
    ) -> None:
        """From now on ``rate`` of the calls (of ``methods``, or all but ``spared``) fail with one of ``kinds``."""
        self._chaos = TelegramChaos(seed, rate, kinds, methods, spared)

    def chaos_off(self) -> None:
        self._chaos = None
