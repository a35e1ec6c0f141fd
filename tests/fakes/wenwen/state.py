"""Per-instance state of the ``FakeWenwen`` mixins (audio, images, Midjourney)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

_S = TypeVar("_S")


def lazy_state(owner: object, key: str, factory: Callable[[], _S]) -> _S:
    """``owner.__dict__[key]``, made by ``factory`` on first use (the mixins have no ``__init__``)."""
    state = owner.__dict__.get(key)
    if state is None:
        state = owner.__dict__[key] = factory()
    return cast(_S, state)
