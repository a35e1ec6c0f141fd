"""Running it for months: a newer schema refused, backups taken while writing, checks, the write probe."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from bot import cli
from storage import Database, SchemaTooNew, Storage
from storage.maintenance import MaintenanceError, backup, check, newer_schema_message
from storage.migrations import MIGRATIONS
from tests.harness import make_settings


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def future_database(path: Path) -> int:
    """A database as a newer wenwen-bot would leave it: a schema version past every migration we know."""
    newer = len(MIGRATIONS) + 1
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE from_the_future (x)")
        connection.execute(f"PRAGMA user_version = {newer}")
    return newer


async def test_a_database_from_a_newer_version_is_refused_before_anything_is_changed(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    newer = future_database(path)
    with pytest.raises(SchemaTooNew) as raised:
        await Database.open(path)
    assert (raised.value.found, raised.value.known) == (newer, len(MIGRATIONS))
    assert user_version(path) == newer
    assert tables(path) == {"from_the_future"}  # no migration ran, no table of ours was created


async def test_the_current_and_older_schemas_open(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as connection:
        for statement in MIGRATIONS[0]:
            connection.execute(statement)
        connection.execute("PRAGMA user_version = 1")
    db = await Database.open(path)  # older: migrated forward
    assert await db.schema_version() == len(MIGRATIONS)
    await db.close()
    db = await Database.open(path)  # current: opened as it is
    await db.close()


async def test_the_write_probe_keeps_nothing_and_fails_on_a_read_only_writer(tmp_path: Path) -> None:
    store = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        await store.db.probe_write()
        assert await store.state.get("health_probe") is None  # rolled back
        await store.state.set("kept", "yes")  # the writer is still usable after the probe
        async with store.db.transaction() as conn:
            await conn.execute("PRAGMA query_only = ON")  # as a read-only disk or connection would
        with pytest.raises(sqlite3.Error, match="readonly"):
            await store.db.probe_write()
    finally:
        await store.close()


async def test_a_backup_taken_while_the_bot_writes_is_a_consistent_snapshot(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    store = await Storage.open(live)
    stop = asyncio.Event()

    async def write_pairs() -> int:
        """Transactions that each add two rows: any consistent copy holds whole pairs only."""
        pairs = 0
        while not stop.is_set():
            async with store.db.transaction() as conn:
                await conn.execute("INSERT INTO bot_state (key, value) VALUES (?, 'a')", (f"{pairs}a",))
                await asyncio.sleep(0)
                await conn.execute("INSERT INTO bot_state (key, value) VALUES (?, 'b')", (f"{pairs}b",))
            pairs += 1
        return pairs

    writer = asyncio.create_task(write_pairs())
    try:
        copies = []
        for number in range(3):
            await asyncio.sleep(0.05)
            copies.append(await asyncio.to_thread(backup, live, tmp_path / f"copy{number}.sqlite3"))
    finally:
        stop.set()
        written = await writer
        await store.close()
    for result in copies:
        assert result.schema_version == len(MIGRATIONS) and result.size == result.path.stat().st_size
        with sqlite3.connect(result.path) as connection:
            keys = [row[0] for row in connection.execute("SELECT key FROM bot_state")]
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
        firsts, seconds = ({k[:-1] for k in keys if k.endswith(end)} for end in "ab")
        assert len(keys) == 2 * len(firsts) and firsts == seconds
        assert check(result.path) == (len(MIGRATIONS), [])
    assert written > 0 and len(keys) > 0
    assert not [name for name in os.listdir(tmp_path) if "partial" in name]  # nothing half written is left


async def test_a_backup_never_overwrites_the_live_database_and_replaces_an_old_backup_whole(tmp_path: Path) -> None:
    live = tmp_path / "live.sqlite3"
    await (await Storage.open(live)).close()
    for target in (live, tmp_path / "." / "live.sqlite3", tmp_path / "live.sqlite3-wal"):
        with pytest.raises(MaintenanceError, match="refusing to overwrite the live database"):
            backup(live, target)
    (tmp_path / "hardlink.sqlite3").hardlink_to(live)
    with pytest.raises(MaintenanceError, match="refusing"):
        backup(live, tmp_path / "hardlink.sqlite3")
    old = tmp_path / "old-backup.sqlite3"
    old.write_bytes(b"an older backup")
    assert backup(live, old).schema_version == len(MIGRATIONS)
    assert check(old) == (len(MIGRATIONS), [])
    with pytest.raises(MaintenanceError, match="no database at"):
        backup(tmp_path / "missing.sqlite3", tmp_path / "x.sqlite3")
    assert not (tmp_path / "missing.sqlite3").exists()  # a typo never creates an empty database


async def test_a_backup_into_a_folder_gets_a_dated_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    live = tmp_path / "data" / "bot.sqlite3"
    await (await Storage.open(live)).close()
    folder = tmp_path / "backups"
    folder.mkdir()
    settings = make_settings("http://127.0.0.1:1", "http://127.0.0.1:1", live)
    assert cli.backup(settings, str(folder)) == 0
    [made] = folder.iterdir()
    assert made.name.startswith("bot-") and made.suffix == ".sqlite3"
    out = capsys.readouterr().out.strip()
    assert out == f"backup: wrote {made} ({made.stat().st_size} bytes, schema version {len(MIGRATIONS)})"
    # a folder that is not there yet is not taken for a file name
    assert cli.backup(settings, f"{tmp_path / 'missing'}/") == 1
    assert capsys.readouterr().err == f"backup failed: no folder {tmp_path / 'missing'} for the backup\n"
    assert not (tmp_path / "missing").exists()


async def test_check_names_each_problem_on_its_own_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bot.sqlite3"
    await (await Storage.open(path)).close()
    settings = make_settings("http://127.0.0.1:1", "http://127.0.0.1:1", path)
    assert cli.check(settings) == 0
    assert capsys.readouterr().out.startswith(f"check: {path} is ok (schema version {len(MIGRATIONS)}")

    with sqlite3.connect(path) as connection:  # foreign keys are off on a plain connection
        connection.execute(
            "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (424242, 'user', 'x', 0)"
        )
    newer = future_database(path)
    assert cli.check(settings) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "check: " + newer_schema_message(path, newer, len(MIGRATIONS)),
        "check: foreign key: messages row 1 points to a missing conversations row",
    ]


async def test_check_reports_a_damaged_file_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await Storage.open(path)
    for number in range(300):
        await store.state.set(f"key{number}", "v" * 200)
    await store.close()
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page * 3 : page * 6] = b"\xff" * (page * 3)  # pages of tables and indexes overwritten
    path.write_bytes(bytes(data))
    settings = make_settings("http://127.0.0.1:1", "http://127.0.0.1:1", path)
    assert cli.check(settings) == 1
    err = capsys.readouterr().err
    assert err.startswith("check") and "Traceback" not in err
    assert all(line.startswith("check") for line in err.strip().splitlines())
    assert cli.check(make_settings("http://127.0.0.1:1", "http://127.0.0.1:1", tmp_path / "none.sqlite3")) == 1
    assert capsys.readouterr().err == f"check failed: no database at {tmp_path / 'none.sqlite3'}\n"
