"""An answer with what led to it: reasoning and tool steps folded above, sources below."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import MessageEntity
from telegramify_markdown import utf16_len

from bot.i18n import MESSAGES, t

from .markdown import Chunk, hide_open_markers, render

REASONING_SHOWN = 1500  # characters of reasoning kept (the end of it); the answer gets the room


@dataclass(slots=True)
class AnswerView:
    """Everything a turn shows, as it grows."""

    answer: str = ""
    reasoning: str = ""
    steps: list[str] = field(default_factory=list)
    sources: list[tuple[str, str]] = field(default_factory=list)  # (url, title)

    def has_process(self) -> bool:
        return bool(self.reasoning.strip() or self.steps)


def _shift(entities: list[MessageEntity], by: int) -> list[MessageEntity]:
    return [MessageEntity.de_json({**e.to_dict(), "offset": e.offset + by}, None) for e in entities]


def _process_block(view: AnswerView, lang: str, *, streaming: bool) -> str:
    lines: list[str] = []
    reasoning = view.reasoning.strip()
    if reasoning:
        if len(reasoning) > REASONING_SHOWN:
            reasoning = "…" + reasoning[-REASONING_SHOWN:]
        lines.append(f"💭 {reasoning}")
    elif streaming and not view.answer and not view.steps:
        lines.append(t(lang, "thinking.label"))
    lines.extend(view.steps)
    return "\n".join(lines)


def compose(view: AnswerView, lang: str, *, streaming: bool = False) -> Chunk:
    """Text + entities: the process as an expandable quote, the answer, then numbered sources."""
    answer = hide_open_markers(view.answer) if streaming else view.answer
    answer_text, answer_entities = render(answer) if answer.strip() else ("", [])
    text, entities = "", []
    thinking_only = streaming and not view.answer.strip() and bool(view.reasoning)  # e.g. only "\n" so far
    process = _process_block(view, lang, streaming=streaming) if view.has_process() or thinking_only else ""
    if process:
        kind = MessageEntity.BLOCKQUOTE if streaming else MessageEntity.EXPANDABLE_BLOCKQUOTE
        entities.append(MessageEntity(kind, 0, utf16_len(process)))
        text = process + ("\n\n" if answer_text else "")
    offset = utf16_len(text)
    text += answer_text
    entities.extend(_shift(answer_entities, offset))
    if view.sources and not streaming:
        text += "\n\n" + t(lang, "sources.label")
        for number, (url, title) in enumerate(view.sources, start=1):
            label = title.strip() or url
            text += f"\n{number}. "
            entities.append(MessageEntity(MessageEntity.TEXT_LINK, utf16_len(text), utf16_len(label), url=url))
            text += label
    return text, entities


def step_label(lang: str, name: str, detail: str) -> str:
    """A compact line for a tool step: the bot's own tools by name, the gateway's with what they did."""
    short = detail if len(detail) <= 200 else detail[:199] + "…"
    key = f"tool.{name}"
    if key not in MESSAGES:
        key = "tool.other"
    return t(lang, key, detail=short, name=name)  # str.format ignores the values a text does not use
