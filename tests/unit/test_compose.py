"""bot/render/compose.py: reasoning and tool steps folded above the answer, numbered sources below."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import MessageEntity
from telegramify_markdown import utf16_len

from bot.render.compose import REASONING_SHOWN, AnswerView, compose, step_label
from bot.render.markdown import MAX_TEXT, render, split


def covered(text: str, entity: MessageEntity) -> str:
    """The characters an entity covers, counted in UTF-16 units like Telegram does."""
    units = text.encode("utf-16-le")
    return units[entity.offset * 2 : (entity.offset + entity.length) * 2].decode("utf-16-le")


def of_type(entities: list[MessageEntity], kind: str) -> list[MessageEntity]:
    return [e for e in entities if e.type == kind]


# ---------------------------------------------------------------- answer only


def test_empty_view_is_empty() -> None:
    assert compose(AnswerView(), "en") == ("", [])
    assert compose(AnswerView(answer="   \n"), "en", streaming=True) == ("", [])


def test_answer_only_is_the_rendered_markdown_unchanged() -> None:
    view = AnswerView(answer="**Bold** and `code` 😀")
    expected_text, expected_entities = render(view.answer)
    text, entities = compose(view, "en")
    assert text == expected_text
    assert [(e.type, e.offset, e.length) for e in entities] == [(e.type, e.offset, e.length) for e in expected_entities]
    assert not of_type(entities, MessageEntity.BLOCKQUOTE)
    assert not of_type(entities, MessageEntity.EXPANDABLE_BLOCKQUOTE)


# ---------------------------------------------------------------- the process block


@pytest.mark.parametrize(
    ("streaming", "kind"),
    [(True, MessageEntity.BLOCKQUOTE), (False, MessageEntity.EXPANDABLE_BLOCKQUOTE)],
)
def test_reasoning_is_a_quote_above_the_answer(streaming: bool, kind: str) -> None:
    view = AnswerView(answer="**Yes** 😀", reasoning="  Let me think 🤔 about 中文  ")
    text, entities = compose(view, "en", streaming=streaming)
    process = "💭 Let me think 🤔 about 中文"
    answer_text, answer_entities = render(view.answer)
    assert text == f"{process}\n\n{answer_text}"
    quote = entities[0]
    assert (quote.type, quote.offset, quote.length) == (kind, 0, utf16_len(process))
    assert covered(text, quote) == process
    # the answer's entities are shifted past the quote and still cover the same characters
    shifted = entities[1:]
    assert len(shifted) == len(answer_entities) == 1
    assert shifted[0].offset == answer_entities[0].offset + utf16_len(process) + 2
    assert covered(text, shifted[0]) == covered(answer_text, answer_entities[0]) == "Yes"


def test_reasoning_and_steps_share_the_quote_in_order() -> None:
    view = AnswerView(answer="done", reasoning="plan", steps=["🕒 Checking the time…", "🔧 lookup"])
    text, entities = compose(view, "en")
    process = "💭 plan\n🕒 Checking the time…\n🔧 lookup"
    assert text == f"{process}\n\ndone"
    assert covered(text, entities[0]) == process


def test_steps_without_reasoning() -> None:
    view = AnswerView(answer="", steps=["🔎 Searched the web: cats"])
    text, entities = compose(view, "en", streaming=True)
    assert text == "🔎 Searched the web: cats"  # no blank line without an answer
    assert [(e.type, e.offset, e.length) for e in entities] == [(MessageEntity.BLOCKQUOTE, 0, utf16_len(text))]


def test_reasoning_without_answer_has_no_trailing_blank_line() -> None:
    text, entities = compose(AnswerView(reasoning="hmm"), "en")
    assert text == "💭 hmm"
    # "💭" is two UTF-16 units
    assert [(e.type, e.offset, e.length) for e in entities] == [(MessageEntity.EXPANDABLE_BLOCKQUOTE, 0, 6)]


def test_whitespace_reasoning_is_no_process() -> None:
    view = AnswerView(answer="hi", reasoning=" \n\t ")
    assert not view.has_process()
    assert compose(view, "en") == render("hi")


def test_long_reasoning_keeps_its_end_after_an_ellipsis() -> None:
    head = "HEAD-" + "a" * 500
    tail_part = "b" * (REASONING_SHOWN - 4) + "TAIL"
    view = AnswerView(answer="x", reasoning=head + tail_part)
    text, entities = compose(view, "en")
    process = text.split("\n\n", 1)[0]
    assert process == "💭 …" + tail_part
    assert "HEAD" not in text
    assert len(process) == len("💭 …") + REASONING_SHOWN
    assert covered(text, entities[0]) == process


def test_reasoning_of_exactly_the_limit_is_not_cut() -> None:
    reasoning = "r" * REASONING_SHOWN
    text, _ = compose(AnswerView(reasoning=reasoning), "en")
    assert text == f"💭 {reasoning}"


def test_long_reasoning_with_emoji_keeps_the_quote_in_utf16_bounds() -> None:
    view = AnswerView(answer="ok", reasoning="😀" * (REASONING_SHOWN + 10))
    text, entities = compose(view, "en")
    assert text.startswith("💭 …😀")
    assert text.count("😀") == REASONING_SHOWN
    assert entities[0].length == utf16_len("💭 …") + 2 * REASONING_SHOWN


def test_blank_reasoning_while_streaming_shows_the_thinking_label() -> None:
    text, _ = compose(AnswerView(reasoning="\n"), "en", streaming=True)
    assert text == "💭 Thinking…"


# ---------------------------------------------------------------- sources


def test_sources_are_numbered_text_links_on_their_titles() -> None:
    sources = [
        ("https://a.example/1", "Первый 😀 title"),
        ("https://b.example/2", "  中文标题  "),
        ("https://c.example/3", "   "),  # blank title: the URL is shown
    ]
    view = AnswerView(answer="Answer 👍🏽", reasoning="why", sources=sources)
    text, entities = compose(view, "en")
    assert text.endswith("\n\n🔗 Sources:\n1. Первый 😀 title\n2. 中文标题\n3. https://c.example/3")
    links = of_type(entities, MessageEntity.TEXT_LINK)
    assert [(covered(text, e), e.url) for e in links] == [
        ("Первый 😀 title", "https://a.example/1"),
        ("中文标题", "https://b.example/2"),
        ("https://c.example/3", "https://c.example/3"),
    ]


def test_sources_label_follows_the_language() -> None:
    text, entities = compose(AnswerView(answer="答", sources=[("https://z.example", "来源")]), "zh")
    assert "🔗 来源：\n1. 来源" in text
    assert covered(text, of_type(entities, MessageEntity.TEXT_LINK)[0]) == "来源"


def test_sources_are_not_shown_while_streaming() -> None:
    view = AnswerView(answer="partial", sources=[("https://a.example", "A")])
    text, entities = compose(view, "en", streaming=True)
    assert text == "partial"
    assert not of_type(entities, MessageEntity.TEXT_LINK)


# ---------------------------------------------------------------- step_label


@pytest.mark.parametrize(
    ("lang", "name", "detail", "expected"),
    [
        ("en", "generate_image", "ignored", "🎨 Drawing…"),
        ("zh", "generate_image", "", "🎨 正在画图…"),
        ("en", "current_time", "", "🕒 Checking the time…"),
        ("en", "web_search", "weather in Paris", "🔎 Searched the web: weather in Paris"),
        ("zh", "web_search", "天气", "🔎 已联网搜索：天气"),
        ("en", "mcp_call", 'docs.search({"q": 1})', '🔌 docs.search({"q": 1})'),
        ("en", "mcp_result", "3 hits", "↳ 3 hits"),
        ("en", "fetch_page", "whatever", "🔧 fetch_page"),
        ("zh", "fetch_page", "", "🔧 fetch_page"),
    ],
)
def test_step_label(lang: str, name: str, detail: str, expected: str) -> None:
    assert step_label(lang, name, detail) == expected


def test_step_label_shortens_a_long_detail_to_200_characters() -> None:
    label = step_label("en", "web_search", "q" * 300)
    assert label == "🔎 Searched the web: " + "q" * 199 + "…"
    exact = step_label("en", "web_search", "q" * 200)
    assert exact == "🔎 Searched the web: " + "q" * 200


def test_step_label_for_a_tool_named_other() -> None:
    assert step_label("en", "other", "") == "🔧 other"


# ---------------------------------------------------------------- properties

_PIECES = st.sampled_from(
    [*"ab *_`#[]()!-~>|\n", "😀", "👍🏽", "中文", "。", "\u200d", "```", "**", "\n\n", "> ", "# ", "[x](https://e.x)"]
)
_TEXT = st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=120).map("".join))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answer=_TEXT,
    repeat=st.integers(min_value=1, max_value=40),
    reasoning=_TEXT,
    steps=st.lists(_TEXT, max_size=3),
    titles=st.lists(_TEXT, max_size=3),
    streaming=st.booleans(),
)
def test_entities_stay_in_bounds_and_pieces_fit_telegram(
    answer: str, repeat: int, reasoning: str, steps: list[str], titles: list[str], streaming: bool
) -> None:
    view = AnswerView(
        answer=answer * repeat,
        reasoning=reasoning * repeat,
        steps=steps,
        sources=[(f"https://s.example/{i}", title) for i, title in enumerate(titles)],
    )
    text, entities = compose(view, "en", streaming=streaming)
    size = utf16_len(text)
    for entity in entities:
        assert entity.offset >= 0, entity
        assert entity.length > 0, entity
        assert entity.offset + entity.length <= size, (entity, size)
    for piece, piece_entities in split(text, entities):
        assert utf16_len(piece) <= MAX_TEXT
        for entity in piece_entities:
            assert 0 <= entity.offset and entity.offset + entity.length <= utf16_len(piece)
