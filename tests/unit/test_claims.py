"""storage/claims.py: an update_id is claimed once, on SQLite and on PostgreSQL (tests/postgres.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from storage import Storage
from storage.claims import KEEP_SECONDS, ClaimRepository


async def test_an_update_is_claimed_once_however_many_race_for_it(target: Path | str) -> None:
    first, second = await Storage.open(target), await Storage.open(target)  # two processes' pools, one database
    try:
        claims = [ClaimRepository(first.db), ClaimRepository(second.db)]
        assert await claims[0].claim_update(1001, "a")
        assert not await claims[0].claim_update(1001, "a")  # redelivered to the same process
        assert not await claims[1].claim_update(1001, "b")  # or to the other one
        won = await asyncio.gather(*(claims[i % 2].claim_update(2002, f"p{i % 2}") for i in range(20)))
        assert sum(won) == 1
        assert await claims[1].claim_update(2003, "b") and await claims[0].claim_update(2004, "a")
        async with (
            first.db.read() as conn,
            conn.execute("SELECT update_id, claimed_by FROM update_claims ORDER BY update_id") as cursor,
        ):
            rows = [tuple(row) for row in await cursor.fetchall()]
        assert [row[0] for row in rows] == [1001, 2002, 2003, 2004]
        assert rows[0][1] == "a" and rows[2][1] == "b" and rows[3][1] == "a"
    finally:
        await second.close()
        await first.close()


async def test_old_claims_are_forgotten_and_new_ones_kept(target: Path | str) -> None:
    store = await Storage.open(target)
    try:
        claims = ClaimRepository(store.db)
        assert await claims.claim_update(1) and await claims.claim_update(2)
        async with store.db.transaction() as conn:  # claim 1 was made two days ago
            old = time.time() - 2 * 86400
            await conn.execute("UPDATE update_claims SET claimed_at = ? WHERE update_id = 1", (old,))
        assert await claims.forget_before(time.time() - KEEP_SECONDS) == 1
        assert await claims.claim_update(1)  # forgotten: claimable again
        assert not await claims.claim_update(2)
    finally:
        await store.close()
