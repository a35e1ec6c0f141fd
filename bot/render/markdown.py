"""Model Markdown → Telegram text + entities, split into messages Telegram accepts."""

from __future__ import annotations

import logging
import re

import telegramify_markdown
from telegram import MessageEntity
from telegramify_markdown import utf16_len

log = logging.getLogger(__name__)

MAX_TEXT = 4096
# Telegram shows at most 100 entities per message and silently ignores the rest.
MAX_ENTITIES = 100

Chunk = tuple[str, list[MessageEntity]]


def render(markdown: str) -> Chunk:
    """Plain text and UTF-16 entities for `markdown` (valid for every prefix of a stream too)."""
    try:
        text, entities = telegramify_markdown.convert(markdown)
    except Exception:  # a converter bug must never lose an answer: fall back to the raw text
        log.exception("markdown conversion failed; sending plain text")
        return markdown, []
    return text, [MessageEntity.de_json(entity.to_dict(), None) for entity in entities]


def split(text: str, entities: list[MessageEntity], limit: int = MAX_TEXT) -> list[Chunk]:
    """Pieces of at most `limit` UTF-16 units; an entity crossing a cut continues in the next piece.

    telegramify's splitter cuts at newlines where it can, so code blocks continue as code in the
    next message instead of breaking into raw text.
    """
    if utf16_len(text) <= limit:
        return [(text, entities[:MAX_ENTITIES])] if text.strip() else []
    converted = [
        telegramify_markdown.MessageEntity(
            type=e.type, offset=e.offset, length=e.length, url=e.url, language=e.language
        )
        for e in entities
    ]
    pieces: list[Chunk] = []
    for piece_text, piece_entities in telegramify_markdown.split_entities(text, converted, limit):
        ptb = [MessageEntity.de_json(e.to_dict(), None) for e in piece_entities]
        pieces.extend(_hard_split(piece_text, ptb[:MAX_ENTITIES], limit))
    return pieces


def _hard_split(text: str, entities: list[MessageEntity], limit: int) -> list[Chunk]:
    """Safety net: a piece the library left over the limit is cut plainly (no entity lost in bounds)."""
    if utf16_len(text) <= limit:
        return [(text, entities)] if text.strip() else []
    out: list[Chunk] = []
    current = ""
    for char in text:
        if utf16_len(current) + utf16_len(char) > limit:
            out.append((current, []))
            current = ""
        current += char
    if current.strip():
        out.append((current, []))
    return out


def render_pieces(markdown: str, limit: int = MAX_TEXT) -> list[Chunk]:
    """Render and split a whole answer."""
    text, entities = render(markdown)
    return split(text, entities, limit)


def tail(text: str, entities: list[MessageEntity], limit: int = MAX_TEXT) -> Chunk:
    """The end of a long text that fits one message (for live previews); entities are dropped when cut."""
    if utf16_len(text) <= limit:
        return text, entities[:MAX_ENTITIES]
    keep = max(limit - 1, 0)  # one unit for the ellipsis
    encoded = text.encode("utf-16-le")[len(text.encode("utf-16-le")) - keep * 2 :]
    cut = encoded.decode("utf-16-le", errors="ignore")
    return "…" + cut, []


_PAIRED_MARKERS = ("**", "__", "~~")


def hide_open_markers(markdown: str) -> str:
    """For live previews: drop a trailing emphasis marker whose closing half has not arrived yet.

    Otherwise the preview shows a literal `**` that turns into bold a moment later (the "jump"
    users notice). Markers inside code fences are left alone.
    """
    if markdown.count("```") % 2:  # inside an open code block: nothing to hide
        return markdown
    for marker in _PAIRED_MARKERS:
        outside_code = re.sub(r"```.*?```|`[^`\n]*`", "", markdown, flags=re.DOTALL)
        if outside_code.count(marker) % 2:
            cut = markdown.rfind(marker)
            markdown = markdown[:cut] + markdown[cut + len(marker) :]
    return markdown
