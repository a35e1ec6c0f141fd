"""Live previews hide an emphasis marker until its closing half arrives (no literal ** flicker)."""

from __future__ import annotations

import pytest

from bot.render.compose import AnswerView, compose
from bot.render.markdown import hide_open_markers


@pytest.mark.parametrize(
    ("streaming", "expected"),
    [
        ("Here is **bold", "Here is bold"),
        ("Here is **bold** and __it", "Here is **bold** and it"),
        ("a ~~gone", "a gone"),
        ("x `a**b` **c", "x `a**b` c"),
        ("```py\nx = 2**", "```py\nx = 2**"),
        ("closed **bold** text", "closed **bold** text"),
    ],
)
def test_open_markers_are_hidden(streaming: str, expected: str) -> None:
    assert hide_open_markers(streaming) == expected


def test_only_previews_hide_markers() -> None:
    view = AnswerView(answer="Here is **bold")
    assert compose(view, "en", streaming=True)[0] == "Here is bold"
    assert compose(view, "en")[0] == "Here is **bold"  # the final answer shows what the model wrote
