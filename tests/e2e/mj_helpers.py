"""Shared steps for the Midjourney end-to-end tests."""

from __future__ import annotations

from typing import Any

from tests.fakes.telegram_api import FakeTelegram, StoredMessage
from tests.fakes.wenwen import FakeWenwen

FAST_MJ: dict[str, Any] = {"mj_poll_interval": 0.05, "mj_progress_interval": 0.0}


def photos(tg: FakeTelegram, chat_id: int) -> list[StoredMessage]:
    return [m for m in tg.chat_messages(chat_id) if m.kind in ("photo", "document") and m.reply_markup]


def buttons(message: StoredMessage) -> dict[str, str]:
    """label → callback_data of a message's inline keyboard."""
    return {b["text"]: b["callback_data"] for row in message.reply_markup["inline_keyboard"] for b in row}


async def wait_results(tg: FakeTelegram, chat_id: int, count: int, within: float = 15) -> list[StoredMessage]:
    await tg.wait_for(lambda: len(photos(tg, chat_id)) >= count, timeout=within)
    return photos(tg, chat_id)


def submits(ww: FakeWenwen, kind: str) -> list[dict[str, Any]]:
    return [r.json for r in ww.mj_requests(f"/mj/submit/{kind}") if r.json is not None]


def texts(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or "" for m in tg.chat_messages(chat_id)]
