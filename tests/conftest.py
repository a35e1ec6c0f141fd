from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import app as bot_app
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import API_KEY, TOKEN, RunningBot, make_settings
from tests.postgres import BACKENDS, fresh_schema, local_server, reachable, unavailable

os.environ.setdefault("PTB_TIMEDELTA", "1")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def ww() -> AsyncIterator[FakeWenwen]:
    fake = FakeWenwen(api_key=API_KEY)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def fake(ww: FakeWenwen) -> FakeWenwen:
    """The wenwen fake under the name its own tests (test_fake_*.py) use."""
    return ww


@pytest.fixture
def client_timeout() -> float:
    """Seconds ``client`` waits for an answer; a module overrides this fixture to change it."""
    return 10.0


@pytest.fixture
async def client(fake: FakeWenwen, client_timeout: float) -> AsyncIterator[httpx.AsyncClient]:
    """Plain httpx on the wenwen fake, authorised with the API key."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(base_url=fake.base_url, headers=headers, timeout=client_timeout) as c:
        yield c


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "bot.sqlite3"


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A PostgreSQL server for the session (tests/postgres.py): WENWEN_TEST_POSTGRES_URL's, or one started here."""
    try:
        import asyncpg  # type: ignore[import-untyped]
    except ImportError:
        unavailable("asyncpg is not installed (pip install -e '.[postgres]')")
    if url := os.environ.get("WENWEN_TEST_POSTGRES_URL"):
        try:
            with ThreadPoolExecutor(1) as thread:  # asked for from inside a running loop: a loop of its own
                thread.submit(asyncio.run, reachable(url)).result()
        except (OSError, asyncpg.PostgresError) as error:
            unavailable(f"WENWEN_TEST_POSTGRES_URL does not answer: {type(error).__name__}")
        yield url
        return
    with local_server() as url:
        yield url


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend: "sqlite" unless a test parametrises it (indirect) over tests.postgres.BACKENDS."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
async def db_target(backend: str, db_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Path | str]:
    """Where the bot's database is: the SQLite path, or a PostgreSQL URL with a fresh schema of its own."""
    if backend != "postgres":
        yield db_path
        return
    async with fresh_schema(request.getfixturevalue("postgres_admin_url")) as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Path | str]:
    """Each backend in turn, for tests that open storage themselves: a SQLite path in a folder not made
    yet, or a PostgreSQL URL with an empty schema of its own."""
    if request.param == "sqlite":
        yield tmp_path / "db" / "bot.sqlite3"
        return
    async with fresh_schema(request.getfixturevalue("postgres_admin_url")) as url:
        yield url


@pytest.fixture
async def make_bot(
    tg: FakeTelegram, ww: FakeWenwen, db_path: Path, db_target: Path | str
) -> AsyncIterator[Callable[..., Any]]:
    """Factory: `await make_bot(**setting_overrides)` starts a bot; all are stopped at the end."""
    running: list[RunningBot] = []
    database = {"database_url": db_target} if isinstance(db_target, str) else {}

    async def factory(**overrides: Any) -> RunningBot:
        bot = RunningBot(make_settings(tg.base_url, ww.base_url, db_path, **{**database, **overrides}))
        await bot.start()
        running.append(bot)
        return bot

    yield factory
    for bot in running:
        await bot.stop()


@pytest.fixture
async def bot(make_bot: Callable[..., Any]) -> RunningBot:
    return await make_bot()


@pytest.fixture(autouse=True)
def _info_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)


@pytest.fixture(autouse=True)
def _recover_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process bots recover at start without the wait for redelivered updates (tests write the state)."""
    monkeypatch.setattr(bot_app, "RECOVERY_DELAY", 0.0)
