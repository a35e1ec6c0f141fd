"""/forget's question (with its two buttons) and the count of what it deleted."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message

from bot.i18n import t
from storage import Forgotten

from . import callback_data
from .keyboards import button


def forget_question(lang: str, user_id: int, *, private: bool, loses_access: bool) -> tuple[str, InlineKeyboardMarkup]:
    """Everything (private chat) or this group's part; nothing happens before "yes" from `user_id`."""
    if private:
        access = t(lang, "forget.prompt_access") if loses_access else ""
        text = t(lang, "forget.prompt_private", access=access)
    else:
        text = t(lang, "forget.prompt_group")
    markup = InlineKeyboardMarkup(
        [
            [
                button(t(lang, "forget.yes"), callback_data.forget(True, user_id)),
                button(t(lang, "forget.no"), callback_data.forget(False, user_id)),
            ]
        ]
    )
    return text, markup


def forgotten_text(lang: str, found: Forgotten, *, private: bool, lost_access: bool) -> str:
    if not private:
        return t(lang, "forget.done_group", group_messages=found.group_messages, tasks=found.tasks)
    text = t(
        lang,
        "forget.done_private",
        conversations=found.conversations,
        messages=found.messages,
        settings=found.settings,
        usage_rows=found.usage_rows,
        limits=found.limits,
        access=found.access,
        tasks=found.tasks,
        group_messages=found.group_messages,
    )
    return text + (t(lang, "forget.done_access") if lost_access else "")


def offers(message: Message, data: str) -> bool:
    """The message carries a button with exactly this data (a press forged onto another message does not)."""
    markup = message.reply_markup
    rows = markup.inline_keyboard if markup is not None else ()
    return any(b.callback_data == data for row in rows for b in row)
