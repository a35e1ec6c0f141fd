"""Invariants 3 and 6: every message the bot should answer ends with a final bot message; no chat wedged.

A bot message is final when it is media, carries a ``retry:`` button, or is text without the streaming
cursor; drafts never count. Messages that arrive during an answer are answered together by one
follow-up turn, so a message counts as answered when any final bot message in its chat was sent or
last edited after it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from tests.attacks.ledger import Ledger, Sent
from tests.fakes.telegram_api import FakeTelegram, StoredMessage, UserMessageOptions
from tests.fakes.telegram_methods import Call

CURSOR = "▌"
OUTPUT_METHODS = frozenset(
    "sendMessage editMessageText editMessageCaption sendPhoto sendDocument sendVoice sendAudio sendVideo "
    "sendAnimation sendMediaGroup".split()
)


def touches(calls: Iterable[Call]) -> dict[tuple[int, int], float]:
    """(chat, message id) → time of the last call that created or changed that bot message."""
    touched: dict[tuple[int, int], float] = {}
    for call in calls:
        if call.method not in OUTPUT_METHODS or call.status != 200:
            continue
        results = call.result if isinstance(call.result, list) else [call.result]
        for result in results:
            if isinstance(result, dict) and "message_id" in result:
                touched[(result["chat"]["id"], result["message_id"])] = call.time
    return touched


def has_retry_button(message: StoredMessage) -> bool:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return any(str(b.get("callback_data", "")).startswith("retry:") for row in rows for b in row)


def is_final(message: StoredMessage | None) -> bool:
    if message is None or not message.from_bot:
        return False
    if has_retry_button(message) or message.kind != "text":
        return True
    return not (message.text or "").rstrip().endswith(CURSOR)


def final_times(tg: FakeTelegram, calls: Iterable[Call] | None = None) -> dict[int, float]:
    """Per chat: when a message that is final now was last sent or edited."""
    latest: dict[int, float] = {}
    for (chat_id, message_id), at in touches(tg.calls if calls is None else calls).items():
        if is_final(tg.get_message(chat_id, message_id)):
            latest[chat_id] = max(at, latest.get(chat_id, at))
    return latest


def lost_answers(tg: FakeTelegram, ledger: Ledger) -> list[str]:
    latest = final_times(tg)
    lost = []
    for sent in ledger.sent:
        if sent.expects_answer and latest.get(sent.chat_id, float("-inf")) <= sent.at:
            lost.append(
                f"chat {sent.chat_id} message {sent.message_id} ({sent.what}) unanswered; " + timeline(tg, sent)
            )
    return lost


def timeline(tg: FakeTelegram, sent: Sent, limit: int = 8) -> str:
    """The chat's calls after the message: what the bot did about it."""
    later = [c for c in tg.calls if c.time >= sent.at and c.params.get("chat_id") == sent.chat_id]
    steps = [
        f"+{c.time - sent.at:.2f}s {c.method}->{c.status}{'/' + c.chaos if c.chaos else ''} "
        f"{str(c.params.get('text') or c.params.get('caption') or '')[:50]!r}"
        for c in later[:limit]
    ]
    return "after it: " + ("; ".join(steps) if steps else "no Bot API call at all in this chat")


def transcript(tg: FakeTelegram, chat_id: int, width: int = 40) -> str:
    """The chat as it stands: ``#id user|bot kind 'text…' [buttons]``, oldest first."""
    lines = []
    for (chat, _), m in sorted(tg.messages.items(), key=lambda item: item[0][1]):
        if chat != chat_id:
            continue
        rows = (m.reply_markup or {}).get("inline_keyboard", [])
        buttons = [str(b.get("callback_data") or b.get("text")) for row in rows for b in row]
        who = "bot" if m.from_bot else "user"
        lines.append(f"#{m.message_id} {who} {m.kind} {(m.text or '')[:width]!r}" + (f" {buttons}" if buttons else ""))
    return f"chat {chat_id}: " + " | ".join(lines)


def redelivered(tg: FakeTelegram) -> list[int]:
    """Update ids that getUpdates handed out more than once (fetched by a process that died unconfirmed)."""
    seen = Counter(u["update_id"] for c in tg.calls_of("getUpdates") if c.ok for u in c.result or [])
    return sorted(update_id for update_id, times in seen.items() if times > 1)


async def wait_answered(tg: FakeTelegram, sent: Sequence[Sent], within: float, start: int = 0) -> list[Sent]:
    """Wait until each message has a final bot message after it (calls from ``start`` on); returns the rest."""

    def waiting() -> list[Sent]:
        latest = final_times(tg, tg.calls[start:])
        return [s for s in sent if s.expects_answer and latest.get(s.chat_id, float("-inf")) <= s.at]

    try:
        await tg.wait_for(lambda: not waiting(), timeout=within)
    except AssertionError:
        pass
    return waiting()


async def wedged_chats(
    tg: FakeTelegram, ledger: Ledger, probes: Sequence[tuple[int, str, UserMessageOptions]], within: float = 10.0
) -> list[str]:
    """Send one message per chat (faults off) and wait until each has a final answer after it."""
    start = len(tg.calls)
    sent = [ledger.text(chat_id, text, what=f"probe {text!r}", **options) for chat_id, text, options in probes]
    return [
        f"chat {s.chat_id} wedged: no answer to {s.what} within {within:.0f}s; {timeline(tg, s)}"
        for s in await wait_answered(tg, sent, within, start)
    ]
