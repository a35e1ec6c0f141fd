"""Logging: INFO by default, httpx quiet, and a filter that blanks secrets wherever they appear."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

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


# What every LogRecord has; anything else on a record came from `extra=` and becomes a JSON field.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the record's `extra` fields, any traceback.

    The handler's RedactingFilter has already blanked secrets in the message and traceback; the finished
    line is redacted once more, so an `extra` value cannot carry one out either.
    """

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((k, v) for k, v in vars(record).items() if k not in _RECORD_FIELDS and not k.startswith("_"))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return self._redact(json.dumps(entry, ensure_ascii=False, default=str))


def setup_logging(level: str, secrets: Iterable[str], log_format: str = "text") -> None:
    handler = logging.StreamHandler()
    redacting = RedactingFilter(secrets)
    if log_format == "json":
        handler.setFormatter(JsonFormatter(redacting.redact))
        logging.captureWarnings(True)  # a library's warning is a log line too, not plain text among the JSON
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redacting)  # handler filters run before the formatter: it only sees redacted text
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
