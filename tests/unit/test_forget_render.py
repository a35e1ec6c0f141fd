"""/forget's callback data (parsed strictly) and its texts in both languages."""

from __future__ import annotations

import pytest

from bot.render import callback_data
from bot.render.forget import forget_question, forgotten_text
from storage import Forgotten


def test_forget_callback_data_is_parsed_strictly() -> None:
    assert callback_data.parse_forget(callback_data.forget(True, 1001)) == callback_data.ForgetPress(True, 1001)
    assert callback_data.parse_forget("fgt:n:7") == callback_data.ForgetPress(False, 7)
    for forged in (
        "fgt:y:",
        "fgt:x:1",
        "fgt:y:0",
        "fgt:y:-1",
        "fgt:y:1:2",
        "fgt:y:²",
        "fgt:Y:1",
        "fgt:",
        "y:1",
        "fgt:y:1234567890123456789",
        "fgt:y: 1",
    ):
        assert callback_data.parse_forget(forged) is None, forged
    assert len(callback_data.forget(True, 10**17).encode()) <= callback_data.MAX_CALLBACK_BYTES
    with pytest.raises(ValueError):
        callback_data.forget(True, 0)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_question_and_the_counts_in_both_languages(lang: str) -> None:
    private, markup = forget_question(lang, 42, private=True, loses_access=True)
    group, _ = forget_question(lang, 42, private=False, loses_access=True)
    assert "[deleted]" in private and "[deleted]" in group and private != group
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == ["fgt:y:42", "fgt:n:42"]
    found = Forgotten(conversations=3, messages=41, group_messages=5, settings=1, usage_rows=12, tasks=2)
    text = forgotten_text(lang, found, private=True, lost_access=False)
    assert all(str(n) in text for n in (3, 41, 5, 12, 2))
    assert "5" in forgotten_text(lang, found, private=False, lost_access=False)
