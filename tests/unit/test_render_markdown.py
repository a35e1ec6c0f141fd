"""bot/render/markdown.py: Markdown → text + UTF-16 entities, 4096-safe splitting, live tails."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import MessageEntity

from bot.render.markdown import MAX_ENTITIES, MAX_TEXT, render, render_pieces, split, tail


def u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def nonspace(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


def kinds(entities: list[MessageEntity]) -> list[tuple[str, int, int]]:
    return [(e.type.value if hasattr(e.type, "value") else str(e.type), e.offset, e.length) for e in entities]


def entity_text(text: str, entity: MessageEntity) -> str:
    """The characters an entity covers, counted in UTF-16 units like Telegram does."""
    units = text.encode("utf-16-le")
    return units[entity.offset * 2 : (entity.offset + entity.length) * 2].decode("utf-16-le")


def assert_valid_piece(text: str, entities: list[MessageEntity], limit: int = MAX_TEXT) -> None:
    length = u16(text)
    assert 1 <= length <= limit, (length, limit, text[:80])
    assert text.strip(), "a piece must not be blank (Telegram refuses empty messages)"
    assert len(entities) <= MAX_ENTITIES
    text.encode("utf-8")  # no lone surrogate halves
    for entity in entities:
        assert entity.offset >= 0, entity
        assert entity.length > 0, entity
        assert entity.offset + entity.length <= length, (entity, length)


# ---------------------------------------------------------------------------------- render()


@pytest.mark.parametrize(
    ("markdown", "text", "expected"),
    [
        (
            "**bold** and *it* and `code` x",
            "bold and it and code x",
            [("bold", 0, 4), ("italic", 9, 2), ("code", 16, 4)],
        ),
        ("__under__", "under", [("bold", 0, 5)]),
        ("~~gone~~", "gone", [("strikethrough", 0, 4)]),
        ("***both***", "both", [("bold", 0, 4), ("italic", 0, 4)]),
        ("`a **b** c`", "a **b** c", [("code", 0, 9)]),
        ("> quoted\n> more\n\nafter", "quoted\nmore\n\nafter", [("blockquote", 0, 11)]),
    ],
)
def test_render_inline_styles(markdown: str, text: str, expected: list[tuple[str, int, int]]) -> None:
    got_text, entities = render(markdown)
    assert got_text == text
    assert sorted(kinds(entities)) == sorted(expected)


def test_render_code_block_keeps_language_and_exact_code() -> None:
    code = "def f(x):\n    return x * 2  # **not bold**"
    text, entities = render(f"Here:\n\n```python\n{code}\n```\n\nDone.")
    pre = [e for e in entities if e.type == MessageEntity.PRE]
    assert len(pre) == 1
    assert pre[0].language == "python"
    assert entity_text(text, pre[0]) == code
    assert not [e for e in entities if e.type == MessageEntity.BOLD], "markdown inside code must stay literal"
    assert text.startswith("Here:") and text.rstrip().endswith("Done.")


def test_render_code_block_without_language() -> None:
    text, entities = render("```\nno lang\n```")
    assert text == "no lang"
    assert [(e.type, e.offset, e.length, e.language) for e in entities] == [(MessageEntity.PRE, 0, 7, None)]


def test_render_link_becomes_text_link_with_url() -> None:
    text, entities = render("see [the docs](https://example.com/a?b=1) now")
    assert text == "see the docs now"
    assert len(entities) == 1
    link = entities[0]
    assert link.type == MessageEntity.TEXT_LINK
    assert link.url == "https://example.com/a?b=1"
    assert entity_text(text, link) == "the docs"


def test_render_heading_is_bold_and_keeps_its_words() -> None:
    text, entities = render("# Title\nbody text")
    assert "Title" in text and text.endswith("body text")
    assert "#" not in text
    bold = [e for e in entities if e.type == MessageEntity.BOLD]
    assert bold and entity_text(text, bold[0]) == "Title"


@pytest.mark.parametrize(
    ("prefix", "units"),
    [
        ("😀", 2),  # astral: a surrogate pair
        ("👨\u200d👩\u200d👧", 8),  # ZWJ sequence: 3 pairs + 2 joiners
        ("𝒳", 2),  # astral letter
        ("中文", 2),  # BMP CJK: one unit each
        ("é", 1),
    ],
)
def test_entity_offsets_are_utf16_after_wide_characters(prefix: str, units: int) -> None:
    text, entities = render(f"{prefix} **bold** and `code`")
    assert text == f"{prefix} bold and code"
    assert kinds(entities) == [("bold", units + 1, 4), ("code", units + 10, 4)]
    assert [entity_text(text, e) for e in entities] == ["bold", "code"]


def test_render_emoji_inside_entity_counts_utf16() -> None:
    text, entities = render("**a😀b** c")
    assert text == "a😀b c"
    assert kinds(entities) == [("bold", 0, 4)]


# ---------------------------------------------------------------------------------- streaming prefixes

ANSWER = (
    "# 快速排序 Quicksort 😀\n\n"
    "Quicksort is a **divide-and-conquer** algorithm. See [Wikipedia](https://en.wikipedia.org/wiki/Quicksort).\n\n"
    "> It picks a *pivot* and partitions the array.\n\n"
    "1. Pick a pivot\n2. Partition\n3. Recurse on both halves\n\n"
    "```python\n"
    "def quicksort(xs: list[int]) -> list[int]:\n"
    "    if len(xs) <= 1:\n"
    "        return xs  # **base** case\n"
    "    pivot, *rest = xs\n"
    "    return quicksort([x for x in rest if x < pivot]) + [pivot] + quicksort([x for x in rest if x >= pivot])\n"
    "```\n\n"
    "Average time is `O(n log n)`; worst case ~~never~~ **O(n²)** 🚀.\n"
)


def test_every_prefix_of_a_streamed_answer_renders(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="bot.render.markdown")
    for end in range(1, len(ANSWER) + 1):
        prefix = ANSWER[:end]
        text, entities = render(prefix)
        length = u16(text)
        for entity in entities:
            assert entity.offset >= 0 and entity.length > 0, (end, entity)
            assert entity.offset + entity.length <= length, (end, entity, length)
        for piece_text, piece_entities in render_pieces(prefix):
            assert_valid_piece(piece_text, piece_entities)
    failures = [r for r in caplog.records if "conversion failed" in r.getMessage()]
    assert not failures, "the converter raised on a prefix and render() fell back to raw text"


def test_unclosed_fence_while_streaming_already_shows_code() -> None:
    text, entities = render("Look:\n```python\nprint('hi')\nx = 1")
    pre = [e for e in entities if e.type == MessageEntity.PRE]
    assert len(pre) == 1 and pre[0].language == "python"
    assert entity_text(text, pre[0]) == "print('hi')\nx = 1"
    assert "```" not in text


def test_unclosed_bold_while_streaming_is_literal_then_bold_when_closed() -> None:
    text, entities = render("this is **important")
    assert text == "this is **important"
    assert entities == []
    text, entities = render("this is **important**")
    assert text == "this is important"
    assert kinds(entities) == [("bold", 8, 9)]


# ---------------------------------------------------------------------------------- split()


def test_short_text_is_one_piece_unchanged() -> None:
    text, entities = render("hello **world**")
    assert split(text, entities) == [(text, entities)]


def test_blank_text_gives_no_pieces() -> None:
    assert split("   \n\n ", []) == []
    assert render_pieces("") == []


def test_long_plain_text_is_cut_at_4096_without_losing_characters() -> None:
    text = "".join(f"line {i:05d} with some words\n" for i in range(600))  # ~16.8k chars
    pieces = split(text, [])
    assert len(pieces) >= 4
    for piece_text, piece_entities in pieces:
        assert_valid_piece(piece_text, piece_entities)
    assert nonspace("".join(p for p, _ in pieces)) == nonspace(text)


def test_astral_characters_count_two_units_when_splitting() -> None:
    text = "😀" * 5000  # 5000 chars but 10000 UTF-16 units
    pieces = split(text, [])
    assert len(pieces) == 3
    for piece_text, piece_entities in pieces:
        assert_valid_piece(piece_text, piece_entities)
    assert "".join(p for p, _ in pieces) == text


@pytest.mark.parametrize(("count", "limit"), [(3000, MAX_TEXT), (40, 50), (150, 200)])
def test_limit_counts_utf16_not_characters(count: int, limit: int) -> None:
    text = "😀" * count  # fewer characters than the limit, more UTF-16 units
    assert len(text) <= limit < u16(text)
    pieces = split(text, [], limit)
    assert len(pieces) == 2
    for piece_text, piece_entities in pieces:
        assert_valid_piece(piece_text, piece_entities, limit)
    assert "".join(p for p, _ in pieces) == text


def test_code_block_crossing_a_cut_continues_as_pre() -> None:
    code_lines = [f"print({i})  # line {i}" for i in range(400)]
    markdown = "Intro paragraph.\n\n```python\n" + "\n".join(code_lines) + "\n```\n\nAfter the code."
    text, entities = render(markdown)
    assert u16(text) > MAX_TEXT
    pieces = split(text, entities)
    assert len(pieces) >= 2
    for index, (piece_text, piece_entities) in enumerate(pieces):
        assert_valid_piece(piece_text, piece_entities)
        pre = [e for e in piece_entities if e.type == MessageEntity.PRE]
        assert pre, f"piece {index} lost its code formatting"
        assert all(e.language == "python" for e in pre)
        inside = "".join(entity_text(piece_text, e) for e in pre)
        assert "```" not in piece_text
        # every code line of this piece is inside the pre entity, not outside as raw text
        for line in piece_text.splitlines():
            if line.startswith("print("):
                assert line in inside, (index, line)
    _, second_entities = pieces[1]
    first_pre = next(e for e in second_entities if e.type == MessageEntity.PRE)
    assert first_pre.offset == 0, "the continued block starts the next message as code"
    assert nonspace("".join(p for p, _ in pieces)) == nonspace(text)
    assert pieces[-1][0].rstrip().endswith("After the code.")


def test_split_keeps_order_and_entities_point_at_the_same_words() -> None:
    words = [f"**w{i}**" if i % 7 == 0 else f"w{i}" for i in range(3000)]
    text, entities = render(" ".join(words))
    pieces = split(text, entities)
    assert len(pieces) >= 2
    bold_words = []
    for piece_text, piece_entities in pieces:
        assert_valid_piece(piece_text, piece_entities)
        bold_words += [entity_text(piece_text, e) for e in piece_entities if e.type == MessageEntity.BOLD]
    expected = [f"w{i}" for i in range(0, 3000, 7)]
    # Telegram shows at most 100 entities per message: whatever is kept must be the right words, in order
    assert bold_words == [w for w in expected if w in set(bold_words)]
    assert len(bold_words) >= min(len(expected), MAX_ENTITIES)
    assert nonspace("".join(p for p, _ in pieces)) == nonspace(text)


def test_entities_per_piece_are_capped_at_100() -> None:
    text, entities = render(" ".join(f"**b{i}**" for i in range(300)))
    assert len(entities) == 300
    pieces = split(text, entities)
    assert pieces and all(len(e) <= MAX_ENTITIES for _, e in pieces)


@pytest.mark.parametrize("limit", [50, 64, 100, 173, 300])
def test_small_limits_are_respected(limit: int) -> None:
    text, entities = render(ANSWER * 2)
    pieces = split(text, entities, limit=limit)
    assert len(pieces) > 1
    for piece_text, piece_entities in pieces:
        assert_valid_piece(piece_text, piece_entities, limit)
    assert nonspace("".join(p for p, _ in pieces)) == nonspace(text)


# ---------------------------------------------------------------------------------- tail()


def test_tail_of_short_text_is_unchanged() -> None:
    text, entities = render("hello **world**")
    assert tail(text, entities) == (text, entities)


def test_tail_keeps_the_end_within_the_limit_and_drops_entities() -> None:
    text, entities = render("**start** " + "abcdefghij" * 1000 + " THE END")
    shown, shown_entities = tail(text, entities)
    assert u16(shown) <= MAX_TEXT
    assert shown.startswith("…")
    assert shown.endswith("THE END")
    assert shown_entities == []
    assert text.endswith(shown[1:])


@pytest.mark.parametrize("limit", [100, 101, 4096])
def test_tail_never_splits_a_surrogate_pair(limit: int) -> None:
    text = "a😀" * 3000
    shown, _ = tail(text, [], limit)
    assert u16(shown) <= limit
    shown.encode("utf-8")  # raises on a lone surrogate half
    assert text.endswith(shown[1:])
    assert u16(shown) >= limit - 2


# ---------------------------------------------------------------------------------- properties

FRAGMENTS = [
    "**",
    "*",
    "_",
    "__",
    "~~",
    "`",
    "```",
    "```python\n",
    "```\n",
    "\n",
    "\n\n",
    "> ",
    "# ",
    "- ",
    "1. ",
    "[a](http://x.y)",
    "[",
    "](",
    "😀",
    "👨\u200d👩\u200d👧",
    "中文",
    "𝒳",
    "word ",
    " ",
    "\t",
    "\\",
    "<b>",
    "&amp;",
    "|a|b|\n|-|-|\n",
    "x" * 40,
]

markdownish = st.lists(st.sampled_from(FRAGMENTS), max_size=80).map("".join)
arbitrary = st.text(max_size=400)
wide = st.text(alphabet=st.sampled_from(["😀", "𝒳", "中", "a", " ", "\n", "*", "`"]), max_size=400)
anything = st.one_of(arbitrary, markdownish, wide)

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_pieces(markdown: str, pieces: list[tuple[str, list[MessageEntity]]], limit: int) -> None:
    text, _ = render(markdown)
    for piece_text, piece_entities in pieces:
        assert_valid_piece(piece_text, piece_entities, limit)
    assert nonspace("".join(p for p, _ in pieces)) == nonspace(text)


@PROPERTY_SETTINGS
@given(anything)
def test_property_render_pieces_are_valid_messages(markdown: str) -> None:
    _check_pieces(markdown, render_pieces(markdown), MAX_TEXT)


@PROPERTY_SETTINGS
@given(anything)
def test_property_render_entities_lie_inside_the_text(markdown: str) -> None:
    text, entities = render(markdown)
    length = u16(text)
    for entity in entities:
        assert entity.offset >= 0 and entity.length > 0
        assert entity.offset + entity.length <= length


@PROPERTY_SETTINGS
@given(markdownish, st.integers(min_value=50, max_value=300))
def test_property_small_limits_markdownish(markdown: str, limit: int) -> None:
    text, entities = render(markdown)
    _check_pieces(markdown, split(text, entities, limit=limit), limit)


@PROPERTY_SETTINGS
@given(st.text(min_size=1, max_size=1500), st.integers(min_value=50, max_value=300))
def test_property_small_limits_arbitrary_text(markdown: str, limit: int) -> None:
    text, entities = render(markdown)
    _check_pieces(markdown, split(text, entities, limit=limit), limit)


@PROPERTY_SETTINGS
@given(anything, st.integers(min_value=2, max_value=300))
def test_property_tail_fits(markdown: str, limit: int) -> None:
    text, entities = render(markdown)
    shown, shown_entities = tail(text, entities, limit)
    assert u16(shown) <= limit
    shown.encode("utf-8")
    if u16(text) > limit:
        assert shown_entities == []
        assert text.endswith(shown[1:])
    else:
        assert shown == text
