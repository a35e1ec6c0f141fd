"""Fitting history into a model's context: token estimates and the request's message list."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.wenwen import ChatMessage
from storage import NO_ANSWER, StoredMessage

# Why an estimate and not a tokenizer: the gateway fronts many model families with different
# tokenizers; tiktoken would add a large dependency and still be wrong for Claude, Qwen or
# DeepSeek. CJK characters cost about one token each, other text about four characters a token;
# every message adds ~4 tokens of framing. It errs on the high side, which keeps requests in bounds.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
MESSAGE_OVERHEAD = 4

# Known context windows (tokens) by model-name prefix; anything else gets the default.
_WINDOWS: tuple[tuple[str, int], ...] = (
    ("gpt-4.1", 1_000_000),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-4", 8_192),
    ("gpt-3.5", 16_385),
    ("gpt-5", 400_000),
    ("o1", 200_000),
    ("o3", 200_000),
    ("o4", 200_000),
    ("claude", 200_000),
    ("gemini", 1_000_000),
    ("deepseek", 64_000),
    ("qwen", 32_000),
)
DEFAULT_WINDOW = 32_000
ANSWER_RESERVE = 4_096


def estimate_tokens(text: str) -> int:
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4) + MESSAGE_OVERHEAD


def context_window(model: str) -> int:
    name = model.lower().rsplit("/", 1)[-1]
    for prefix, window in _WINDOWS:
        if name.startswith(prefix):
            return window
    return DEFAULT_WINDOW


def history_budget(model: str, cap: int) -> int:
    """Tokens available for system prompt + history + the new message."""
    return max(512, min(context_window(model) - ANSWER_RESERVE, cap))


IMAGE_TOKENS = 850  # about what a 1024×1024 image costs at high detail
IMAGE_PLACEHOLDER = "[image]"
DOCUMENT_PLACEHOLDER = "[file: {name}]"  # a document whose text is not in the request (too old, gone)
NO_ANSWER_PLACEHOLDER = "[no answer: the request failed]"


@dataclass(frozen=True, slots=True)
class ImageData:
    data: bytes
    mime: str = "image/jpeg"

    def part(self) -> dict[str, Any]:
        url = f"data:{self.mime};base64,{base64.b64encode(self.data).decode()}"
        return {"type": "image_url", "image_url": {"url": url}}


def build_messages(
    system_prompt: str | None,
    history: list[StoredMessage],
    images: Mapping[str, ImageData] | None = None,
    documents: Mapping[str, str] | None = None,
) -> list[ChatMessage]:
    """System prompt, then history verbatim; images as data-URL parts where `images` has their bytes.

    An image whose bytes are not given (too old, refused, unreadable) becomes an "[image]" placeholder.
    A document comes before its message's text: its text block from `documents` (by file id), else "[file: name]".
    Messages sent one after another with no answer between them (sent while an answer was being
    written) are one question and are joined. An answer that never came (error, crash) is a short
    placeholder, so that question is never glued to the next one and answered again.
    A leading assistant message (left over after trimming) is dropped.
    """
    available = images or {}
    turns: list[tuple[str, list[dict[str, Any]]]] = []
    for message in history:
        parts: list[dict[str, Any]] = [
            {"type": "text", "text": (documents or {}).get(d.file_id) or DOCUMENT_PLACEHOLDER.format(name=d.name)}
            for d in message.documents
        ]
        if message.role == "assistant" and message.status in NO_ANSWER:
            parts.append({"type": "text", "text": NO_ANSWER_PLACEHOLDER})
        elif message.content.strip():
            parts.append({"type": "text", "text": message.content})
        for file_id in message.attachments:
            image = available.get(file_id)
            parts.append(image.part() if image else {"type": "text", "text": IMAGE_PLACEHOLDER})
        if not parts:
            continue
        if turns and turns[-1][0] == message.role:
            turns[-1][1].extend(parts)
        else:
            turns.append((message.role, parts))
    while turns and turns[0][0] != "user":
        turns.pop(0)
    messages = [ChatMessage("system", system_prompt)] if system_prompt else []
    for role, parts in turns:
        messages.append(ChatMessage("user" if role == "user" else "assistant", _content(parts)))
    return messages


def _content(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """Plain text stays a string (exactly what was said); anything with an image is a part list."""
    if all(part["type"] == "text" for part in parts):
        return "\n\n".join(part["text"] for part in parts)
    return parts


def quote_block(quoted: str) -> str:
    """The replied-to text as a Markdown quote, so the model sees what the user points at."""
    lines = quoted.strip().splitlines() or [""]
    return "\n".join(f"> {line}" for line in lines)
