"""The message catalogs: every text is valid Telegram HTML, in both languages, with the same placeholders."""

from __future__ import annotations

import re
import string

import pytest

from bot.i18n import LANGUAGES, MESSAGES
from tests.fakes.telegram_text import _parse_html

PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::[^}]*)?\}")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_text_is_valid_telegram_html(key: str) -> None:
    for text in MESSAGES[key].values():
        filled = PLACEHOLDER.sub("x", text)
        _parse_html(filled)  # raises like Telegram: "Unsupported start tag", unclosed tags, bad entities


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_languages_exist_and_take_the_same_values(key: str) -> None:
    entry = MESSAGES[key]
    assert set(entry) == set(LANGUAGES), key
    assert placeholders(entry["en"]) == placeholders(entry["zh"]), key
