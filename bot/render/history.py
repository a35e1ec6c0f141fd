"""The /history list, one conversation's buttons, the delete question and /find's results: text and keyboards."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.history import PAGE_SIZE, FoundConversation, HistoryPage, display_title
from bot.i18n import t
from storage import ConversationSummary
from storage.history import MARK_END, MARK_START

from . import callback_data
from .keyboards import button
from .telegram_io import clip

BUTTON_TITLE = 40  # characters of a title on a button
TEXT_TITLE = 80  # … and in a message
SNIPPET = 160
_MARKED = re.compile(f"{MARK_START}(.*?){MARK_END}", re.DOTALL)


def short_date(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")


def title_of(lang: str, summary: ConversationSummary) -> str:
    return display_title(summary) or t(lang, "history.untitled")


def _escaped_title(lang: str, summary: ConversationSummary) -> str:
    return html.escape(clip(title_of(lang, summary), TEXT_TITLE))


def snippet_html(snippet: str) -> str:
    """A search snippet as HTML: escaped, the matched words bold, one line, bounded."""
    flat = " ".join(clip(snippet, SNIPPET).split())
    out, at = [], 0
    for found in _MARKED.finditer(flat):
        out.append(_plain(flat[at : found.start()]))
        word = _plain(found.group(1))
        out.append(f"<b>{word}</b>" if word else "")
        at = found.end()
    out.append(_plain(flat[at:]))
    return "".join(out)


def _plain(text: str) -> str:
    return html.escape(text.replace(MARK_START, "").replace(MARK_END, ""))


def _open_button(lang: str, number: int, summary: ConversationSummary) -> InlineKeyboardButton:
    mark = "📍 " if summary.active else ""
    label = f"{number}. {mark}{clip(title_of(lang, summary), BUTTON_TITLE)}"
    return button(label, callback_data.history("open", summary.id))


def history_view(lang: str, page: HistoryPage) -> tuple[str, InlineKeyboardMarkup | None]:
    """The list: each conversation's title, date, number of messages (the current one marked), ◀ ▶."""
    if not page.items:
        return t(lang, "history.empty"), None
    first = page.page * PAGE_SIZE
    lines = []
    rows = []
    for index, summary in enumerate(page.items, start=first + 1):
        mark = t(lang, "history.current") if summary.active else ""
        lines.append(
            t(
                lang,
                "history.item",
                number=index,
                title=_escaped_title(lang, summary),
                date=short_date(summary.last_at),
                count=summary.messages,
                mark=mark,
            )
        )
        rows.append([_open_button(lang, index, summary)])
    nav = []
    if page.page > 0:
        nav.append(button(t(lang, "history.prev"), callback_data.history("page", page.page - 1)))
    if page.page < page.pages - 1:
        nav.append(button(t(lang, "history.next"), callback_data.history("page", page.page + 1)))
    if nav:
        rows.append(nav)
    text = t(lang, "history.title", page=page.page + 1, pages=page.pages, items="\n".join(lines))
    return text, InlineKeyboardMarkup(rows)


def conversation_view(lang: str, summary: ConversationSummary) -> tuple[str, InlineKeyboardMarkup]:
    """A resumed conversation, with rename, export, delete and back."""
    text = t(
        lang,
        "history.opened",
        title=_escaped_title(lang, summary),
        date=short_date(summary.last_at),
        count=summary.messages,
    )
    markup = InlineKeyboardMarkup(
        [
            [
                button(t(lang, "history.rename"), callback_data.history("rename", summary.id)),
                button(t(lang, "history.export"), callback_data.history("export", summary.id)),
                button(t(lang, "history.delete"), callback_data.history("delete", summary.id)),
            ],
            [button(t(lang, "history.back"), callback_data.history("page", 0))],
        ]
    )
    return text, markup


def delete_view(lang: str, summary: ConversationSummary) -> tuple[str, InlineKeyboardMarkup]:
    text = t(lang, "history.delete_confirm", title=_escaped_title(lang, summary), count=summary.messages)
    markup = InlineKeyboardMarkup(
        [
            [
                button(t(lang, "history.delete_yes"), callback_data.history("confirm", summary.id)),
                button(t(lang, "history.delete_no"), callback_data.history("page", 0)),
            ]
        ]
    )
    return text, markup


def deleted_text(lang: str, summary: ConversationSummary) -> str:
    return t(lang, "history.deleted", title=_escaped_title(lang, summary))


def found_view(lang: str, words: str, found: list[FoundConversation]) -> tuple[str, InlineKeyboardMarkup | None]:
    """/find's results: titles with a snippet, as buttons that resume them."""
    shown_words = html.escape(clip(words, 100))
    if not found:
        return t(lang, "find.none", words=shown_words), None
    lines = []
    rows = []
    for number, item in enumerate(found, start=1):
        lines.append(
            t(
                lang,
                "find.item",
                number=number,
                title=_escaped_title(lang, item.summary),
                date=short_date(item.summary.last_at),
                snippet=snippet_html(item.snippet),
            )
        )
        rows.append([_open_button(lang, number, item.summary)])
    return t(lang, "find.title", words=shown_words, items="\n".join(lines)), InlineKeyboardMarkup(rows)
