"""Plain records the repositories read and write."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class ChatKey:
    """A conversation place: a chat, or one forum topic of it (thread_id 0 = no topic)."""

    chat_id: int
    thread_id: int = 0


class MessageStatus(StrEnum):
    COMPLETE = "complete"
    PARTIAL = "partial"  # cut short by /stop or an error: kept, shown, sent back as history
    SUPERSEDED = "superseded"  # replaced by /retry: kept on disk, left out of context
    PENDING = "pending"  # an answer being written (or lost in a crash): marks where its question ends
    FAILED = "failed"  # no answer came (error, empty, stopped at once): the question is not glued to the next


# An assistant row in one of these states holds no answer: the request shows a short placeholder instead.
NO_ANSWER = frozenset({MessageStatus.PENDING, MessageStatus.FAILED})


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """A file sent with a user message: its text is read again by file id when a request is made, never stored."""

    file_id: str
    name: str
    kind: str  # "pdf", "docx" or "text"


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    conversation_id: int
    role: str
    content: str
    status: MessageStatus
    token_estimate: int
    tg_message_id: int | None = None
    tg_reply_ids: tuple[int, ...] = field(default_factory=tuple)
    model: str | None = None
    user_id: int | None = None
    attachments: tuple[str, ...] = ()  # Telegram file ids of images sent with the message
    images_refused: bool = False  # the gateway refused this message's images: they are not sent again
    delivered: bool = True  # an answer: the chat shows it (False while it is written, or if a crash cut it off)
    lang: str | None = None  # a user message: the language the user reads (a restart answers in it)
    created_at: float = 0.0
    documents: tuple[StoredDocument, ...] = ()  # files sent with a user message (by file id, not their text)


@dataclass(frozen=True, slots=True)
class Unfinished:
    """The last message of a conversation whose question has no answer in the chat yet (found at start)."""

    chat: ChatKey
    last: StoredMessage  # a user message never answered, or an answer pending/not delivered
    question: StoredMessage | None  # the newest user message of the conversation


@dataclass(frozen=True, slots=True)
class ChatSettings:
    model: str | None = None
    system_prompt: str | None = None
    voice_replies: bool = False
    vision_notice_shown: bool = False
    api_format: str | None = None  # None: chosen per model
    thinking: bool = False
    thinking_level: str = "medium"  # low | medium | high
    web_search: bool = False
    tools: bool = True
    language: str | None = None  # None: the user's Telegram language
    search_notice_shown: bool = False
