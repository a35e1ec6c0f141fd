"""A real PostgreSQL server for the tests that run against both storage backends.

`WENWEN_TEST_POSTGRES_URL` names a server to use (a URL whose user may create schemas). Otherwise the
tests start one of their own for the session, from the `postgresql` package's binaries (initdb into a
temporary folder, a unix socket there, no TCP port; as the `postgres` user when run as root), and stop
it at the end. Without either, the PostgreSQL cases are skipped, with the reason; with
`WENWEN_REQUIRE_POSTGRES=1` (CI) that is a failure instead. Each test gets a schema of its own.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

REQUIRED = os.environ.get("WENWEN_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgres"]
INITDB_FLAGS = ["--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]


def unavailable(reason: str) -> None:
    text = f"PostgreSQL tests skipped: {reason}"
    if REQUIRED:
        pytest.fail(f"{text} (WENWEN_REQUIRE_POSTGRES=1 makes this a failure)", pytrace=False)
    pytest.skip(text)


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


@contextlib.contextmanager
def local_server() -> Iterator[str]:
    """initdb + pg_ctl start in a temporary folder; yields an admin URL over the folder's unix socket."""
    bin_dir = _binaries()
    if bin_dir is None:
        unavailable("no server binaries (install the `postgresql` package or set WENWEN_TEST_POSTGRES_URL)")
        raise AssertionError  # unreachable
    folder = Path(tempfile.mkdtemp(prefix="wenwen-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root and there is no `postgres` user to run the server as")
        os.chown(folder, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, log = folder / "data", folder / "log"
    options = f"-k {folder} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    try:
        subprocess.run(
            [*run_as, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "wenwen", *INITDB_FLAGS],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as error:
        shutil.rmtree(folder, ignore_errors=True)
        unavailable(f"the server did not start: {error.stderr.decode(errors='replace').strip()[-500:]}")
    try:
        yield f"postgresql://wenwen@/postgres?host={quote(str(folder), safe='')}"
    finally:
        subprocess.run(
            [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def with_schema(admin_url: str, schema: str) -> str:
    joiner = "&" if "?" in admin_url else "?"
    return f"{admin_url}{joiner}search_path={schema}"


async def reachable(admin_url: str) -> None:
    await _admin(admin_url, "SELECT 1")


async def _admin(admin_url: str, statement: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(admin_url, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def fresh_schema(admin_url: str) -> AsyncIterator[str]:
    """An empty schema of its own for one test (dropped after it): the URL that uses it."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _admin(admin_url, f"CREATE SCHEMA {schema}")
    try:
        yield with_schema(admin_url, schema)
    finally:
        await _admin(admin_url, f"DROP SCHEMA {schema} CASCADE")
