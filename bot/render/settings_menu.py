"""The /settings keyboard: one button per setting; a press moves it to its next value."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.i18n import t
from storage import ChatSettings

from . import callback_data
from .keyboards import button

FORMAT_CYCLE = (None, "chat", "responses", "messages")
THINKING_CYCLE = ("off", "low", "medium", "high")
LANGUAGE_CYCLE = (None, "en", "zh")


def thinking_value(settings: ChatSettings) -> str:
    return settings.thinking_level if settings.thinking else "off"


def _on_off(lang: str, value: bool) -> str:
    return t(lang, "value.on" if value else "value.off")


def settings_keyboard(settings: ChatSettings, lang: str) -> InlineKeyboardMarkup:
    labels = {
        "model": t(lang, "settings.model"),
        "format": t(lang, "settings.format", value=t(lang, f"value.{settings.api_format or 'auto'}")),
        "thinking": t(lang, "settings.thinking", value=t(lang, f"value.{thinking_value(settings)}")),
        "web_search": t(lang, "settings.web_search", value=_on_off(lang, settings.web_search)),
        "tools": t(lang, "settings.tools", value=_on_off(lang, settings.tools)),
        "voice": t(lang, "settings.voice", value=_on_off(lang, settings.voice_replies)),
        "language": t(lang, "settings.language", value=t(lang, f"value.{settings.language or 'auto'}")),
    }
    return InlineKeyboardMarkup([[button(label, callback_data.setting(name))] for name, label in labels.items()])


def next_value(values: tuple[str | None, ...], current: str | None) -> str | None:
    index = values.index(current) if current in values else -1
    return values[(index + 1) % len(values)]
