"""The /settings keyboard: one button per setting; a press moves it to its next value."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.i18n import t
from storage import ChatSettings

from .keyboards import button

FORMAT_CYCLE = (None, "chat", "responses", "messages")
THINKING_CYCLE = ("off", "low", "medium", "high")
LANGUAGE_CYCLE = (None, "en", "zh")


def thinking_value(settings: ChatSettings) -> str:
    return settings.thinking_level if settings.thinking else "off"


def _on_off(lang: str, value: bool) -> str:
    return t(lang, "value.on" if value else "value.off")


def settings_keyboard(settings: ChatSettings, lang: str) -> InlineKeyboardMarkup:
    rows = [
        [button(t(lang, "settings.model"), "cfg:model")],
        [button(t(lang, "settings.format", value=t(lang, f"value.{settings.api_format or 'auto'}")), "cfg:format")],
        [button(t(lang, "settings.thinking", value=t(lang, f"value.{thinking_value(settings)}")), "cfg:thinking")],
        [button(t(lang, "settings.web_search", value=_on_off(lang, settings.web_search)), "cfg:web_search")],
        [button(t(lang, "settings.tools", value=_on_off(lang, settings.tools)), "cfg:tools")],
        [button(t(lang, "settings.voice", value=_on_off(lang, settings.voice_replies)), "cfg:voice")],
        [button(t(lang, "settings.language", value=t(lang, f"value.{settings.language or 'auto'}")), "cfg:language")],
    ]
    return InlineKeyboardMarkup(rows)


def next_value(values: tuple[str | None, ...], current: str | None) -> str | None:
    index = values.index(current) if current in values else -1
    return values[(index + 1) % len(values)]
