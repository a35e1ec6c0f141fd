"""Logging: INFO by default, httpx quiet, and a filter that blanks secrets wherever they appear."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_BOT_TOKEN_IN_URL = re.compile(r"bot\d+(?::|%3A)[\w-]+")


class RedactingFilter(logging.Filter):
    """Replaces the given secrets (and anything shaped like a bot token in a URL) with <redacted>."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return _BOT_TOKEN_IN_URL.sub("bot<redacted>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def setup_logging(level: str, secrets: Iterable[str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    quiet_libraries()


def quiet_libraries() -> None:
    """Keep the loggers that print secrets quiet, whoever configured logging."""
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # "skipped: maximum number of running instances" only means a poll outlasted its interval
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    # PTB logs the Bot API URL (with the token) and request parameters at DEBUG.
    logging.getLogger("telegram").setLevel(logging.INFO)
    # tornado (the webhook server) notes every malformed, oversized or slow request at INFO: under a
    # flood, one line per attacker request. Its warnings and errors still show.
    logging.getLogger("tornado.general").setLevel(logging.WARNING)
