from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import app as bot_app
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import API_KEY, TOKEN, RunningBot, make_settings

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


@pytest.fixture
async def make_bot(tg: FakeTelegram, ww: FakeWenwen, db_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Factory: `await make_bot(**setting_overrides)` starts a bot; all are stopped at the end."""
    running: list[RunningBot] = []

    async def factory(**overrides: Any) -> RunningBot:
        bot = RunningBot(make_settings(tg.base_url, ww.base_url, db_path, **overrides))
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
