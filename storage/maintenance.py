"""Offline care of the database file: a consistent backup and an integrity check (for `wenwen-bot backup|check`).

Plain `sqlite3`, not aiosqlite: these run as short commands beside the bot, not inside its event loop.
Both are safe while the bot runs and writes (WAL: a reader never blocks the writer, nor the other way).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .migrations import MIGRATIONS

BUSY_TIMEOUT = 10.0  # seconds to wait for a lock (only taken briefly by a WAL checkpoint)


class MaintenanceError(Exception):
    """A backup or check that could not be made; the message is one line for the owner."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int
    schema_version: int


def newer_schema_message(path: Path | str, found: int, known: int) -> str:
    """The one line for a database this code must not touch (the bot at start and `check` say the same)."""
    return (
        f"the database {path} was written by a newer wenwen-bot (schema {found}, this one knows {known}); "
        "upgrade, or restore a backup"
    )


@contextlib.contextmanager
def _open_existing(path: Path) -> Iterator[sqlite3.Connection]:
    """The live database, never created: a typo in the path must not leave an empty database behind."""
    if not path.is_file():
        raise MaintenanceError(f"no database at {path}")
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT)
    try:
        yield connection
    finally:
        connection.close()


def _user_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def schema_version_of(path: Path) -> int | None:
    """The schema version of the database at `path`; None when there is none yet or it cannot be read."""
    try:
        with _open_existing(path) as connection:
            return _user_version(connection)
    except (MaintenanceError, sqlite3.Error):
        return None  # opening it for real says what is wrong


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)  # hard links and other spellings of one file
    return False


def backup_target(source: Path, target: Path, stamp: str, *, folder: bool = False) -> Path:
    """Where the copy goes: `target`, or a dated file inside it when it is (or is meant as) a folder (cron)."""
    if folder or target.is_dir():
        return target / f"{source.stem}-{stamp}{source.suffix or '.sqlite3'}"
    return target


def backup(source: Path, target: Path) -> BackupResult:
    """A consistent copy of `source` at `target` (SQLite's online backup API), replacing it atomically.

    The copy is written next to the target and renamed over it only when complete, so an old backup is
    never left half overwritten. It is a single file (journal_mode=DELETE), ready to copy elsewhere.
    """
    live = [source, source.with_name(source.name + "-wal"), source.with_name(source.name + "-shm")]
    if any(_same_file(target, path) for path in live):
        raise MaintenanceError(f"refusing to overwrite the live database {source}")
    if not target.parent.is_dir():
        raise MaintenanceError(f"no folder {target.parent} for the backup")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        with _open_existing(source) as live_db:
            copy = sqlite3.connect(partial)
            try:
                live_db.backup(copy)  # one step: the copy is one read snapshot, writers go on meanwhile
                copy.execute("PRAGMA journal_mode=DELETE")
                version = _user_version(copy)
            finally:
                copy.close()
        with open(partial, "rb") as written:
            os.fsync(written.fileno())  # on disk before it replaces the previous backup
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupResult(target, target.stat().st_size, version)


def check(path: Path) -> tuple[int, list[str]]:
    """The schema version, and one line per problem: corruption, broken foreign keys, a schema too new."""
    with _open_existing(path) as connection:
        version = _user_version(connection)
        problems: list[str] = []
        if version > len(MIGRATIONS):
            problems.append(newer_schema_message(path, version, len(MIGRATIONS)))
        for (line,) in connection.execute("PRAGMA integrity_check"):
            if line != "ok":
                problems.append(f"integrity: {line}")
        for table, rowid, parent, _ in connection.execute("PRAGMA foreign_key_check"):
            problems.append(f"foreign key: {table} row {rowid} points to a missing {parent} row")
    return version, problems
