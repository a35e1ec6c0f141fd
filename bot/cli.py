"""The maintenance subcommands: `wenwen-bot backup PATH`, `wenwen-bot check`, `wenwen-bot healthcheck`,
`wenwen-bot migrate-sqlite-to-postgres SQLITE_PATH`.

Each prints a line or a few and returns the exit code; none prints a traceback or a secret (they print
paths, sizes, versions and SQLite's own messages, never a setting's value).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from storage import SchemaTooNew, maintenance
from storage.migrations import MIGRATIONS

from .config import Settings

HEALTHCHECK_TIMEOUT = 8.0  # above /healthz's own database probe (3 s)


def _fail(text: str) -> int:
    sys.stderr.write(text + "\n")
    return 1


def backup(settings: Settings, target: str) -> int:
    """`target` ending in "/" is a folder even before it exists (then it must exist: never a file by that name)."""
    if settings.database_url:
        return _fail("backup: DATABASE_URL is set: back up PostgreSQL with its own tools (pg_dump)")
    source = settings.database_path
    folder = target.endswith(("/", os.sep))
    destination = maintenance.backup_target(source, Path(target), time.strftime("%Y%m%d-%H%M%S"), folder=folder)
    try:
        result = maintenance.backup(source, destination)
    except (maintenance.MaintenanceError, sqlite3.Error, OSError) as error:
        return _fail(f"backup failed: {error}")
    print(f"backup: wrote {result.path} ({result.size} bytes, schema version {result.schema_version})")
    return 0


def check(settings: Settings) -> int:
    if settings.database_url:
        return _check_postgres(settings.database_url.get_secret_value())
    path = settings.database_path
    try:
        version, problems = maintenance.check(path)
    except (maintenance.MaintenanceError, sqlite3.Error, OSError) as error:
        return _fail(f"check failed: {error}")
    if problems:
        for problem in problems:
            sys.stderr.write(f"check: {problem}\n")
        return 1
    print(f"check: {path} is ok (schema version {version}, this wenwen-bot knows {len(MIGRATIONS)})")
    return 0


def _check_postgres(url: str) -> int:
    """PostgreSQL looks after its own integrity: what is checked is that it answers and its schema is known."""
    try:
        import asyncpg

        from storage.postgres import schema_version_at
    except ImportError:
        return _fail("check: asyncpg is missing: pip install 'wenwen-bot[postgres]'")
    try:
        version = asyncio.run(schema_version_at(url))
    except (asyncpg.PostgresError, OSError, TimeoutError) as error:
        reason = str(error).replace(url, "<redacted>")
        return _fail(f"check failed: PostgreSQL at DATABASE_URL: {type(error).__name__}: {reason}")
    if version > len(MIGRATIONS):
        return _fail(f"check: {maintenance.newer_schema_message('at DATABASE_URL', version, len(MIGRATIONS))}")
    known = len(MIGRATIONS)
    print(f"check: PostgreSQL at DATABASE_URL is ok (schema version {version}, this wenwen-bot knows {known})")
    return 0


def health_url(settings: Settings) -> str:
    """Where the bot's own /healthz answers; a wildcard listen address is asked on loopback."""
    host = settings.health_listen.strip()
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.health_port}/healthz"


def healthcheck(settings: Settings) -> int:
    """0 when /healthz answers 200 (or no health server is configured: nothing to ask), else 1."""
    if settings.health_port is None:
        return 0
    url = health_url(settings)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP(S)_PROXY
    try:
        with opener.open(url, timeout=HEALTHCHECK_TIMEOUT) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except (OSError, ValueError) as error:  # refused, timed out, unreachable
        reason = getattr(error, "reason", error)
        return _fail(f"healthcheck: no answer from {url}: {reason}")
    if status == 200:
        print("healthcheck: ok")
        return 0
    return _fail(f"healthcheck: {url} answered {status}: {_problems(body)}")


def _problems(body: bytes) -> str:
    try:
        problems = json.loads(body).get("problems") or []
    except (ValueError, AttributeError):
        return "unhealthy"
    return "; ".join(str(problem) for problem in problems) or "unhealthy"


def migrate_sqlite_to_postgres(settings: Settings, sqlite_path: str, secrets: list[str]) -> int:
    """Copy the SQLite database at `sqlite_path` into the (empty) PostgreSQL one at DATABASE_URL; rerun-safe."""
    if settings.database_url is None:
        return _fail("migrate-sqlite-to-postgres: set DATABASE_URL to the PostgreSQL database to copy into")
    try:
        import asyncpg

        from storage.transfer import TransferError, copy_sqlite_to_postgres
    except ImportError:
        return _fail("migrate-sqlite-to-postgres: asyncpg is missing: pip install 'wenwen-bot[postgres]'")
    url = settings.database_url.get_secret_value()
    try:
        counts = asyncio.run(copy_sqlite_to_postgres(Path(sqlite_path), url))
    except (TransferError, SchemaTooNew, asyncpg.PostgresError, sqlite3.Error, OSError) as error:
        text = str(error)
        for secret in secrets:
            if secret:
                text = text.replace(secret, "<redacted>")
        return _fail(f"migrate-sqlite-to-postgres failed: {text}")
    for count in counts:
        print(f"{count.table}: {count.source} in SQLite, {count.copied} copied, {count.target} in PostgreSQL")
    copied = sum(count.copied for count in counts)
    print(f"migrate-sqlite-to-postgres: {copied} rows copied from {sqlite_path} (schema version {len(MIGRATIONS)})")
    return 0
