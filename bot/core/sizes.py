"""Size limits of Telegram and the gateway, each defined once (docs/protocols.md, "Telegram: limits").

Handlers and render check sizes against these; they take them from here, not from `bot.wenwen`.
"""

from __future__ import annotations

from bot.wenwen.media import TRANSCRIBE_LIMIT

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bots cannot download larger files (Bot API getFile)
PHOTO_LIMIT = 10_000_000  # sendPhoto refuses larger uploads; such images go out as documents
VIDEO_LIMIT = 50_000_000  # sendVideo's limit for bots; a larger video goes out as a document

__all__ = ["PHOTO_LIMIT", "TELEGRAM_DOWNLOAD_LIMIT", "TRANSCRIBE_LIMIT", "VIDEO_LIMIT"]
