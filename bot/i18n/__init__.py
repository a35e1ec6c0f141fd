"""zh and en message catalogs; the language comes from the user's Telegram language."""

from __future__ import annotations

from .catalog import MESSAGES as _CHAT_MESSAGES
from .catalog_admin import ADMIN_MESSAGES
from .catalog_history import HISTORY_MESSAGES
from .catalog_inline import INLINE_MESSAGES
from .catalog_media import MEDIA_MESSAGES
from .catalog_mj import MJ_MESSAGES
from .catalog_privacy import PRIVACY_MESSAGES
from .catalog_settings import SETTINGS_MESSAGES
from .catalog_video import VIDEO_MESSAGES

MESSAGES = {**_CHAT_MESSAGES, **MJ_MESSAGES, **MEDIA_MESSAGES, **SETTINGS_MESSAGES, **ADMIN_MESSAGES, **INLINE_MESSAGES}
MESSAGES |= HISTORY_MESSAGES  # /history, /export, /find
MESSAGES |= VIDEO_MESSAGES  # /video
MESSAGES |= PRIVACY_MESSAGES  # /forget

LANGUAGES = ("en", "zh")


def pick_language(language_code: str | None) -> str:
    return "zh" if language_code and language_code.lower().startswith("zh") else "en"


def t(lang: str, key: str, **values: object) -> str:
    """The message `key` in `lang` (English when missing), with `values` filled in."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


__all__ = ["LANGUAGES", "MESSAGES", "pick_language", "t"]
