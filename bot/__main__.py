"""`wenwen-bot` / `python -m bot`: load settings, build the app, run polling or a webhook.

`wenwen-bot backup PATH`, `wenwen-bot check` and `wenwen-bot healthcheck` look after a running bot (bot/cli.py).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import sys
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError
from telegram.error import TelegramError

from storage import SchemaTooNew
from storage.maintenance import newer_schema_message, schema_version_of
from storage.migrations import MIGRATIONS

from . import cli
from .app import ALLOWED_UPDATES, build_application
from .config import Settings, describe_error
from .context import BotApplication
from .core.cluster import AnotherPoller
from .logging_setup import setup_logging
from .webhook import WebhookOptions, run_webhook

log = logging.getLogger("bot")


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        sys.stderr.write(describe_error(error) + "\n")
        raise SystemExit(2) from None


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET, or one derived from the bot token (stable across restarts, never the token)."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    return hashlib.sha256(b"wenwen-bot-webhook:" + settings.telegram_bot_token.get_secret_value().encode()).hexdigest()


def webhook_options(settings: Settings) -> WebhookOptions:
    """Where `bot.webhook.WebhookServer` listens, the path of WEBHOOK_URL, and the secret token."""
    assert settings.webhook_url is not None
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlsplit(settings.webhook_url).path.lstrip("/"),
        "webhook_url": settings.webhook_url,
        "secret_token": webhook_secret(settings),
        # several processes on one database: answered once handled, so an update a dying process took is resent
        "answer_when_handled": bool(settings.database_url),
    }


def secret_values(settings: Settings) -> list[str]:
    """Everything the log filter blanks out: token, key, webhook secret (set or derived), MCP tokens, DATABASE_URL."""
    secrets = [settings.telegram_bot_token.get_secret_value(), settings.wenwen_api_key.get_secret_value()]
    secrets += [s.authorization_token.get_secret_value() for s in settings.mcp_servers if s.authorization_token]
    if settings.webhook_url:
        secrets.append(webhook_secret(settings))
    if settings.database_url:  # the whole URL and its password alone (asyncpg may name either in an error)
        url = settings.database_url.get_secret_value()
        secrets += [url, unquote(urlsplit(url).password or ""), urlsplit(url).password or ""]
    return secrets


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="wenwen-bot", description="Run the bot (no command), or look after it.")
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    backup = commands.add_parser("backup", help="copy the live database consistently (safe while the bot runs)")
    backup.add_argument("path", help="the backup file, or a folder (ending in /) for a dated file in it")
    commands.add_parser("check", help="check the database's integrity and schema version")
    commands.add_parser("healthcheck", help="exit 0 if the running bot's /healthz answers 200 (HEALTH_PORT)")
    migrate = commands.add_parser(
        "migrate-sqlite-to-postgres", help="copy a SQLite database into the empty PostgreSQL one at DATABASE_URL"
    )
    migrate.add_argument("sqlite_path", help="the SQLite database file (the bot's DATABASE_PATH)")
    return top


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.command is None:
        run_bot()
        return
    settings = load_settings()  # as the bot loads them: DATABASE_PATH, HEALTH_* from the same place
    if args.command == "backup":
        raise SystemExit(cli.backup(settings, args.path))
    if args.command == "migrate-sqlite-to-postgres":
        raise SystemExit(cli.migrate_sqlite_to_postgres(settings, args.sqlite_path, secret_values(settings)))
    raise SystemExit(cli.check(settings) if args.command == "check" else cli.healthcheck(settings))


def refuse_a_newer_database(settings: Settings) -> None:
    """Said before Telegram is asked anything (storage's migrate() refuses it too, whatever happens)."""
    if settings.database_url:
        return  # PostgreSQL: migrate() refuses it at start, before anything is changed
    found = schema_version_of(settings.database_path)
    if found is not None and found > len(MIGRATIONS):
        log.error("%s", newer_schema_message(settings.database_path, found, len(MIGRATIONS)))
        raise SystemExit(2)


def use_uvloop() -> str:
    """uvloop runs the event loop's own work (callbacks, timers, sockets) in C: at 200 chats at once that
    work was a third of the bot's CPU on the standard loop (benchmarks/README.md). Both modes get it."""
    try:
        import uvloop
    except ImportError:  # not built for every platform (Windows)
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"


def run_bot() -> None:
    settings = load_settings()
    setup_logging(settings.log_level, secret_values(settings), settings.log_format)
    refuse_a_newer_database(settings)
    loop_kind = use_uvloop()
    app = build_application(settings)
    try:
        if settings.webhook_url:
            listen = f"{settings.webhook_listen}:{settings.webhook_port}"
            log.info("starting in webhook mode on %s (event loop: %s)", listen, loop_kind)
            run_webhook_mode(app, webhook_options(settings))
        else:
            log.info("starting in long-polling mode (event loop: %s)", loop_kind)
            app.run_polling(allowed_updates=ALLOWED_UPDATES)
    except SchemaTooNew as error:  # raised before anything in the database was changed
        where = "at DATABASE_URL" if settings.database_url else settings.database_path
        log.error("%s", newer_schema_message(where, error.found, error.known))
        raise SystemExit(2) from None
    except AnotherPoller as error:  # raised in post_init, before any update was taken
        log.error(
            "another process of this bot (%s) is already long-polling with this DATABASE_URL: Telegram hands "
            "updates to one poller only; stop it, or run several processes in webhook mode",
            error,
        )
        raise SystemExit(2) from None
    except OSError as error:  # the health server's port is taken
        log.error("the bot could not run: %s", error)
        raise SystemExit(1) from None


def run_webhook_mode(app: BotApplication, options: WebhookOptions) -> None:
    """Our own bounded server (bot/webhook.py) instead of PTB's; start-up failures end in one log line."""
    try:
        asyncio.run(run_webhook(app, options))
    except KeyboardInterrupt:  # Ctrl+C before the signal handlers were in place
        pass
    except (OSError, TelegramError) as error:  # port taken, setWebhook refused, Telegram unreachable
        log.error("webhook mode could not run: %s", error)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
