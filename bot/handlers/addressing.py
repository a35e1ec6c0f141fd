"""Whether a message is meant for the bot, and what it quotes."""

from __future__ import annotations

from telegram import Message

from bot.core.conversation import Quote


def addressed_text(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The text (or caption) meant for the bot, or None when a group message is not for it.

    Private chats: every message. Groups: a mention of the bot (removed from the text) or a
    reply to one of the bot's messages.
    """
    text = message.text or message.caption or ""
    if message.chat.type == "private":
        return text
    mention = f"@{bot_username}".lower()
    if mention in text.lower():
        start = text.lower().index(mention)
        return (text[:start] + text[start + len(mention) :]).strip()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        if not message.is_topic_message or replied.message_id != message.message_thread_id:
            return text
    return None


def quote_of(message: Message) -> Quote | None:
    """The replied-to message (not the topic's own header message) as a quote."""
    replied = message.reply_to_message
    if replied is None or (message.is_topic_message and replied.message_id == message.message_thread_id):
        return None
    text = replied.text or replied.caption or ""
    return Quote(replied.message_id, text) if text.strip() else None
