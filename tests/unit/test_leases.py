"""storage/leases.py and bot/core/cluster.py: one holder per lease across pools, expiry, the leader, stops."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.cluster import AnotherPoller, Cluster
from storage import ChatKey, Storage
from storage.claims import ClaimRepository
from storage.leases import LeaseRepository, StopRepository, StopRequest


@pytest.fixture
async def two(target: Path | str) -> AsyncIterator[tuple[Storage, Storage]]:
    first, second = await Storage.open(target), await Storage.open(target)  # two processes' pools, one database
    yield first, second
    await second.close()
    await first.close()


def cluster_of(store: Storage, *, shared: bool = True, seconds: float = 10.0) -> Cluster:
    db = store.db
    return Cluster(LeaseRepository(db), ClaimRepository(db), StopRepository(db), shared=shared, seconds=seconds)


async def test_a_lease_has_one_holder_until_it_is_released_or_expires(two: tuple[Storage, Storage]) -> None:
    a, b = LeaseRepository(two[0].db), LeaseRepository(two[1].db)
    now = time.time()
    won = await asyncio.gather(*(([a, b][i % 2]).take("leader", f"p{i % 2}", 10, now) for i in range(20)))
    assert sum(won) in (10,) and len({i % 2 for i, w in enumerate(won) if w}) == 1  # one holder, reentrant
    holder = await a.holder_of("leader", now)
    other, other_repo = ("p1", b) if holder == "p0" else ("p0", a)
    assert not await other_repo.take("leader", other, 10, now + 5)
    assert await a.renew_all(str(holder), 10, now + 9) == 1  # renewed before the expiry: still its own
    assert not await other_repo.take("leader", other, 10, now + 15)
    assert await other_repo.take("leader", other, 10, now + 20)  # not renewed: taken over once expired
    assert await a.holder_of("leader", now + 20) == other
    assert await a.renew_all(str(holder), 10, now + 21) == 0  # the old holder's renewal gets nothing back
    await other_repo.release("leader", other)
    assert await a.holder_of("leader", now + 21) is None


async def test_a_second_long_poller_is_refused_until_the_first_releases(two: tuple[Storage, Storage]) -> None:
    first, second = cluster_of(two[0], shared=False), cluster_of(two[1], shared=False)
    await first.take_poller()
    with pytest.raises(AnotherPoller) as refused:
        await second.take_poller()
    assert first.holder in str(refused.value)
    await first.close()  # a clean stop releases it at once
    await second.take_poller()
    await second.close()


async def test_hold_orders_one_chat_across_processes(two: tuple[Storage, Storage]) -> None:
    first, second = cluster_of(two[0]), cluster_of(two[1])
    inside: list[str] = []
    order: list[tuple[str, int]] = []

    async def work(cluster: Cluster, name: str, n: int) -> None:
        async with cluster.hold("chat:5"):
            inside.append(name)
            assert len(set(inside)) == 1, inside  # never two processes at once (reentrant within one)
            order.append((name, n))
            await asyncio.sleep(0)  # let the other process try while this one holds it
            inside.remove(name)

    await asyncio.gather(*(work(first if n % 2 else second, f"p{n % 2}", n) for n in range(10)))
    assert sorted(n for _, n in order) == list(range(10))
    assert await LeaseRepository(two[0].db).holder_of("chat:5") is None  # released after the last


async def test_the_leader_is_one_process_and_is_taken_over_when_it_stops_renewing(
    two: tuple[Storage, Storage],
) -> None:
    first, second = cluster_of(two[0], seconds=1.5), cluster_of(two[1], seconds=1.5)
    led: list[str] = []
    took_over = asyncio.Event()
    first.on_lead = lambda: led.append("first")
    second.on_lead = lambda: (led.append("second"), took_over.set()) and None
    await first.start()
    await second.start()
    try:
        assert first.leads() and not second.leads() and led == ["first"]
        for task in first._tasks:  # the first process hangs: nothing renews its leases any more
            task.cancel()
        await asyncio.wait_for(took_over.wait(), timeout=5)  # within 1.5 s * 4/3 of its last renewal
        assert led == ["first", "second"] and second.leads()
    finally:
        await second.close()
        await first.close()


async def test_a_stop_for_another_process_reaches_its_running_turn(two: tuple[Storage, Storage]) -> None:
    writer, other = cluster_of(two[0]), cluster_of(two[1])
    got: list[StopRequest] = []
    arrived = asyncio.Event()
    writer.on_stop = lambda request: (got.append(request), arrived.set()) and True
    await writer.start()
    await other.start()
    chat = ChatKey(7, 3)
    try:
        assert not await other.stop_elsewhere(chat, 42, may_stop_any=False)  # nothing runs anywhere
        async with writer.turn_guard(chat):
            assert not await writer.stop_elsewhere(chat, 42, may_stop_any=False)  # its own: TurnRegistry's job
            assert await other.stop_elsewhere(chat, 42, may_stop_any=True)
            await asyncio.wait_for(arrived.wait(), timeout=1.5)  # read within a second
        assert [(r.chat_id, r.thread_id, r.requested_by, r.may_stop_any) for r in got] == [(7, 3, 42, True)]
    finally:
        await other.close()
        await writer.close()


async def test_one_process_asks_nothing_of_the_database(target: Path | str) -> None:
    store = await Storage.open(target)
    try:
        alone = cluster_of(store, shared=False)
        await alone.start()
        async with alone.hold("chat:1"):
            assert await LeaseRepository(store.db).holder_of("chat:1") is None
        assert alone.leads() and await alone.claim(5) and await alone.claim(5)
        assert not await alone.seen(5)
        await alone.close()
    finally:
        await store.close()
