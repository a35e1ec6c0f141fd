"""`wenwen-bot` / `python -m bot`: load settings, build the app, run polling or a webhook."""

from __future__ import annotations

import hashlib
import logging
import sys
from urllib.parse import urlsplit

from pydantic import ValidationError

from .app import build_application
from .config import Settings, describe_error
from .logging_setup import setup_logging

log = logging.getLogger("bot")


def load_settings() -> Settings:
    try:
        return Settings()  # type: ignore[call-arg]
    except ValidationError as error:
        sys.stderr.write(describe_error(error) + "\n")
        raise SystemExit(2) from None


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET, or one derived from the bot token (stable across restarts, never the token)."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    return hashlib.sha256(b"wenwen-bot-webhook:" + settings.telegram_bot_token.get_secret_value().encode()).hexdigest()


def webhook_options(settings: Settings) -> dict[str, object]:
    """Arguments for `run_webhook` / `Updater.start_webhook`: the path of WEBHOOK_URL and its secret."""
    assert settings.webhook_url is not None
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlsplit(settings.webhook_url).path.lstrip("/"),
        "webhook_url": settings.webhook_url,
        "secret_token": webhook_secret(settings),
    }


def main() -> None:
    settings = load_settings()
    secrets = [settings.telegram_bot_token.get_secret_value(), settings.wenwen_api_key.get_secret_value()]
    secrets += [server["authorization_token"] for server in settings.mcp_servers if server.get("authorization_token")]
    setup_logging(settings.log_level, secrets)
    app = build_application(settings)
    if settings.webhook_url:
        log.info("starting in webhook mode on %s:%d", settings.webhook_listen, settings.webhook_port)
        app.run_webhook(**webhook_options(settings))  # type: ignore[arg-type]
    else:
        log.info("starting in long-polling mode")
        app.run_polling()


if __name__ == "__main__":
    main()
