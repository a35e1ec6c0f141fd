"""Runs the real Application against the fakes, the way `run_polling` does."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.app import build_application
from bot.config import Settings
from bot.context import BotApplication
from bot.webhook import WebhookServer
from bot.wiring import Services

TOKEN = "123456:TEST-token_abc"
API_KEY = "sk-test-wenwen-key"
ALICE = 1001
BOB = 1002
STRANGER = 6666
ADMIN = 9001


def make_settings(tg_url: str, ww_url: str, db_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "wenwen_api_key": API_KEY,
        "telegram_api_url": tg_url,
        "wenwen_base_url": ww_url,
        "database_path": db_path,
        "allowed_user_ids": f"{ALICE},{BOB}",
        "admin_user_ids": str(ADMIN),
        "stream_interval_private": 0.05,
        "stream_interval_group": 0.5,
        "wenwen_retries": 1,
        "shutdown_grace": 0.5,  # a test's teardown does not wait long for an answer left running
        "title_model": "off",  # no title request after first answers (tests that want one set a model)
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def bot_command() -> list[str]:
    """The installed `wenwen-bot` script, or `python -m bot` without it."""
    script = shutil.which("wenwen-bot")
    return [script] if script else [sys.executable, "-m", "bot"]


async def start_bot_process(folder: Path, tg_url: str, ww_url: str, **settings: str) -> asyncio.subprocess.Process:
    """`wenwen-bot` as a child process against the fakes, its database in `folder`; `settings` are
    environment variables on top (stderr piped: read it, or the child blocks on a full pipe)."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(folder),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "WENWEN_API_KEY": API_KEY,
        "TELEGRAM_API_URL": tg_url,
        "WENWEN_BASE_URL": ww_url,
        "DATABASE_PATH": str(folder / "db.sqlite3"),
        **settings,
    }
    return await asyncio.create_subprocess_exec(
        *bot_command(), cwd=folder, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )


class RunningBot:
    """Start/stop the bot in-process against the fake Bot API: long polling, or our webhook server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app: BotApplication | None = None
        self.webhook: WebhookServer | None = None

    @property
    def services(self) -> Services:
        assert self.app is not None
        return self.app.bot_data.services

    async def _initialize(self) -> BotApplication:
        app = build_application(self.settings)
        self.app = app
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        assert app.updater is not None
        return app

    async def start(self) -> None:
        app = await self._initialize()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)  # type: ignore[union-attr]
        await app.start()

    async def start_webhook(self, options: Mapping[str, Any]) -> None:
        """The lifecycle of `bot.webhook.run_webhook`: Telegram posts updates to our own HTTP server.

        ``options`` are `WebhookServer`'s keywords (`bot.__main__.webhook_options`, plus limits if wanted).
        """
        app = await self._initialize()
        await app.start()
        self.webhook = WebhookServer(app, **options)
        await self.webhook.start()

    async def crash(self) -> None:
        """Stop as a killed process would leave things: running answers are cut off, nothing finishes them."""
        await self.stop(graceful=False)

    async def stop(self, *, graceful: bool = True) -> None:
        app = self.app
        if app is None:
            return
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
        assert app.updater is not None
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop and graceful:  # as run_polling does: running answers get SHUTDOWN_GRACE seconds
            await app.post_stop(app)
        if app.post_shutdown:
            await app.post_shutdown(app)
        await app.shutdown()
        self.app = None
