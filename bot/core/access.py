"""Who may use the bot (AccessPolicy), and what a stranger is told (at most once a minute)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from storage import AccessRepository, AccessState

EVERYONE = "*"
REFUSAL_INTERVAL = 60.0  # seconds; the rest of a stranger's flood is dropped without a reply
REMEMBERED_STRANGERS = 10_000  # bound on the memory a flood of made-up user ids can take


class AccessList:
    """A set of Telegram user ids, or everyone (`*`)."""

    def __init__(self, ids: frozenset[int] = frozenset(), everyone: bool = False) -> None:
        self.ids = ids
        self.everyone = everyone

    def __contains__(self, user_id: object) -> bool:
        return self.everyone or user_id in self.ids

    def __repr__(self) -> str:
        return "AccessList(*)" if self.everyone else f"AccessList({sorted(self.ids)})"

    @classmethod
    def parse(cls, raw: Any, *, allow_everyone: bool) -> AccessList:
        if isinstance(raw, AccessList):
            return raw
        text = "" if raw is None else str(raw).strip()
        if allow_everyone and text == EVERYONE:
            return cls(everyone=True)
        ids: set[int] = set()
        for part in text.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.lstrip("-").isdigit():
                raise ValueError(f"{part!r} is not a numeric Telegram user id (use comma-separated numbers)")
            ids.add(int(part))
        return cls(frozenset(ids))


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


class AccessPolicy:
    """Who may use the bot: admins always; then denials; then the environment's list and stored grants.

    A negative id is a group: everyone who speaks in it is allowed there. Stored grants are kept in
    memory (loaded at start, written through), so the check on every update costs no database read.
    """

    def __init__(self, allowed: AccessList, admins: AccessList) -> None:
        self._env_allowed = allowed
        self._admins = admins
        self._granted: set[int] = set()
        self._denied: set[int] = set()
        self._repository: AccessRepository | None = None

    async def load(self, repository: AccessRepository) -> None:
        self._repository = repository
        for entry in await repository.all():
            (self._granted if entry.state == "allowed" else self._denied).add(entry.subject_id)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self._admins

    def allows(self, user_id: int, chat_id: int | None = None) -> bool:
        if user_id in self._admins:
            return True
        if user_id in self._denied:
            return False
        if user_id in self._env_allowed or user_id in self._granted:
            return True
        return chat_id is not None and chat_id < 0 and chat_id in self._granted

    async def allow(self, subject_id: int, by: int | None) -> None:
        """Allow a user or a group at once (lifts a denial)."""
        await self._store(subject_id, "allowed", by)
        self._denied.discard(subject_id)
        self._granted.add(subject_id)

    async def deny(self, subject_id: int, by: int | None) -> bool:
        """Block a user at once, even one the environment allows; False for an admin (never denied)."""
        if subject_id in self._admins:
            return False
        await self._store(subject_id, "denied", by)
        self._granted.discard(subject_id)
        self._denied.add(subject_id)
        return True

    def granted_only(self, user_id: int) -> bool:
        """The user may use the bot only through a stored grant (an admin's /allow), not the environment."""
        return user_id in self._granted and user_id not in self._env_allowed and user_id not in self._admins

    def forget(self, user_id: int) -> None:
        """The user's stored grant was deleted (/forget); a denial stays in force."""
        self._granted.discard(user_id)

    def listing(self) -> AccessListing:
        env = sorted(self._env_allowed.ids)
        return AccessListing(
            everyone=self._env_allowed.everyone,
            admins=sorted(self._admins.ids),
            from_env=env,
            granted=sorted(self._granted),
            denied=sorted(self._denied),
        )

    async def _store(self, subject_id: int, state: AccessState, by: int | None) -> None:
        if self._repository is None:
            raise RuntimeError("AccessPolicy.load() was not called")
        await self._repository.set(subject_id, state, by)


@dataclass(frozen=True, slots=True)
class AccessListing:
    everyone: bool
    admins: list[int]
    from_env: list[int]
    granted: list[int]
    denied: list[int]


class ExpiringAnswers:
    """Yes/no answers remembered for a few minutes (e.g. "is this member a group admin?"), bounded in size."""

    def __init__(self, ttl: float = 300.0, size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._answers: OrderedDict[tuple[int, int], tuple[float, bool]] = OrderedDict()

    def get(self, key: tuple[int, int]) -> bool | None:
        found = self._answers.get(key)
        if found is None or self._clock() - found[0] > self._ttl:
            return None
        return found[1]

    def put(self, key: tuple[int, int], answer: bool) -> None:
        self._answers[key] = (self._clock(), answer)
        self._answers.move_to_end(key)
        while len(self._answers) > self._size:
            self._answers.popitem(last=False)
