"""The write bookkeeping both storage backends share: a read waits for other tasks' earlier writes only,
and a close waits for the writes under way, but no longer than its grace."""

from __future__ import annotations

import asyncio

from storage.writes import WriteTracker


async def test_a_read_waits_for_another_tasks_write_not_for_its_own() -> None:
    tracker = WriteTracker()
    release = asyncio.Event()
    started = asyncio.Event()

    async def write() -> None:
        async with tracker.write():
            started.set()
            await release.wait()

    other = asyncio.create_task(write())
    await started.wait()
    reader = asyncio.create_task(tracker.wait_for_earlier())
    await asyncio.sleep(0)  # one turn of the loop: the reader has looked at what is in flight
    assert not reader.done()  # the other task's write is under way
    release.set()
    await asyncio.wait_for(reader, 1)
    await other

    async with tracker.write():
        # this task's own write is under way, and is not waited for (it would never end); asyncio.timeout,
        # not wait_for, which would run the wait in a task of its own
        async with asyncio.timeout(1):
            await tracker.wait_for_earlier()


async def test_idle_waits_for_the_writes_under_way_and_gives_up_after_its_grace() -> None:
    tracker = WriteTracker()
    await asyncio.wait_for(tracker.idle(5), 1)  # nothing under way: at once

    release = asyncio.Event()

    async def write() -> None:
        async with tracker.write():
            await release.wait()

    task = asyncio.create_task(write())
    waiting = asyncio.create_task(tracker.idle(5))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not waiting.done()
    release.set()
    await asyncio.wait_for(waiting, 1)
    await task

    release.clear()
    stuck = asyncio.create_task(write())
    await asyncio.wait_for(tracker.idle(0.01), 1)  # the grace is over: returns with the write still open
    assert not stuck.done()
    release.set()
    await stuck
