"""Unscripted answers of the chat routes: a default reply, and a seeded "chaos" share of faults.

    ww.default_reply = lambda text: Reply(text=f"slow: {text}", chunks=12, delay=0.2)
    ww.chaos(seed=3, rate=0.1)     # 10 % of unscripted chat requests fail (one of CHAOS_KINDS)
    ww.chaos_faults                # [(kind, last user text), …] in order
    ww.chaos_off()

Scripted replies (``ww.script``) always come first; chaos and the default reply only answer
requests that find the script empty. Without either, the answer echoes the last user text.
Applies to /v1/chat/completions, /v1/responses and /v1/messages alike (``next_reply``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .format_sse import Reply
from .state import lazy_state

CHAOS_KINDS = ("500", "429", "400", "cut", "mid_stream")
_BAD_REQUESTS = (
    "bad response status code 400",
    "This model's maximum context length is 8192 tokens",
    "Invalid 'messages[1].content': string too long",
)

ReplyFactory = Callable[[str], Reply]


@dataclass(frozen=True, slots=True)
class WenwenFault:
    kind: str
    user_text: str


@dataclass
class _ChaosState:
    rng: random.Random | None = None
    rate: float = 0.0
    kinds: tuple[str, ...] = CHAOS_KINDS
    faults: list[WenwenFault] = field(default_factory=list)


def echo(text: str) -> Reply:
    return Reply(text=f"echo: {text}")


def fault_reply(kind: str, base: Reply, rng: random.Random) -> Reply:
    """The failing version of ``base`` for one of CHAOS_KINDS."""
    if kind == "500":
        return Reply(status=500, error_message="请求上游地址失败", error_code="do_request_failed")
    if kind == "429":
        return Reply(status=429, error_message="当前分组上游负载已饱和，请稍后再试")
    if kind == "400":
        return Reply(status=400, error_message=rng.choice(_BAD_REQUESTS), error_type="invalid_request_error")
    chunks = max(2, base.chunks or 4)
    cut_after = rng.randint(0, chunks - 1)
    if kind == "cut":
        return Reply(text=base.text, chunks=chunks, delay=base.delay, cut=True, cut_after=cut_after)
    if kind == "mid_stream":
        error = {"message": "upstream overloaded, please retry", "type": "upstream_error", "code": "overloaded"}
        return Reply(text=base.text, chunks=chunks, delay=base.delay, mid_stream_error=error, cut_after=cut_after)
    raise ValueError(f"unknown chaos kind {kind!r}")


class ChaosMixin:
    """``default_reply``, ``chaos``/``chaos_off``/``chaos_faults`` of FakeWenwen."""

    default_reply: ReplyFactory | None = None  # unscripted answers; None: echo the last user text

    def _chaos_state(self) -> _ChaosState:
        return lazy_state(self, "_chaos_state_", _ChaosState)

    def chaos(self, seed: int, rate: float, *, kinds: Iterable[str] = CHAOS_KINDS) -> None:
        """``rate`` of the unscripted chat requests fail, each with a seeded choice of ``kinds``."""
        chosen = tuple(kinds)
        if not chosen or set(chosen) - set(CHAOS_KINDS):
            raise ValueError(f"chaos kinds must be some of {CHAOS_KINDS}")
        state = self._chaos_state()
        state.rng, state.rate, state.kinds = random.Random(seed), rate, chosen

    def chaos_off(self) -> None:
        self._chaos_state().rng = None

    @property
    def chaos_faults(self) -> list[WenwenFault]:
        return self._chaos_state().faults

    def unscripted_reply(self, last_user_text: str) -> Reply:
        base = (self.default_reply or echo)(last_user_text)
        state = self._chaos_state()
        if state.rng is None or state.rng.random() >= state.rate:
            return base
        kind = state.rng.choice(state.kinds)
        state.faults.append(WenwenFault(kind, last_user_text))
        return fault_reply(kind, base, state.rng)
