"""Who is told what at the gate: a stranger hears "no access" at most once a minute."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

REFUSAL_INTERVAL = 60.0  # seconds; the rest of a stranger's flood is dropped without a reply
REMEMBERED_STRANGERS = 10_000  # bound on the memory a flood of made-up user ids can take


class StrangerReplies:
    """When each stranger was last told they have no access (the oldest are forgotten first)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._told: OrderedDict[int, float] = OrderedDict()

    def should_tell(self, user_id: int) -> bool:
        now = self._clock()
        last = self._told.get(user_id)
        if last is not None and now - last < REFUSAL_INTERVAL:
            return False
        self._told[user_id] = now
        self._told.move_to_end(user_id)
        while len(self._told) > REMEMBERED_STRANGERS:
            self._told.popitem(last=False)
        return True
