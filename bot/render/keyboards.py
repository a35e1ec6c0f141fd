"""Inline keyboards. Every callback_data is checked against Telegram's 64-byte limit."""

from __future__ import annotations

import functools
import hashlib

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import t

from . import callback_data
from .callback_data import MAX_CALLBACK_BYTES
from .telegram_io import clip

MODELS_PER_PAGE = 8


def button(text: str, data: str) -> InlineKeyboardButton:
    if not 1 <= len(data.encode()) <= MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data of {len(data.encode())} bytes")
    return InlineKeyboardButton(text, callback_data=data)


@functools.cache  # one per language: every streamed answer shows it, and PTB's objects are immutable
def stop_keyboard(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[button(t(lang, "stop.button"), callback_data.STOP)]])


def retry_keyboard(lang: str, answer_id: int) -> InlineKeyboardMarkup:
    """🔄: answer the same question again (only the chat's last answer's button works)."""
    return InlineKeyboardMarkup([[button(t(lang, "retry.button"), callback_data.retry(answer_id))]])


def model_token(name: str) -> str:
    """A short, stable stand-in for a model name (names can exceed 64 bytes)."""
    return hashlib.sha1(name.encode()).hexdigest()[:10]


def model_keyboard(models: list[str], current: str, page: int, lang: str) -> InlineKeyboardMarkup:
    pages = max(1, -(-len(models) // MODELS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = models[page * MODELS_PER_PAGE : (page + 1) * MODELS_PER_PAGE]
    rows = [
        [button(("✅ " if name == current else "") + clip(name, 60), callback_data.model(model_token(name)))]
        for name in shown
    ]
    nav = []
    if page > 0:
        nav.append(button(t(lang, "model.prev"), callback_data.models_page(page - 1)))
    if page < pages - 1:
        nav.append(button(t(lang, "model.next"), callback_data.models_page(page + 1)))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)
