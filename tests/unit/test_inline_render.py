"""An inline answer fits one message: cut with a note, entities kept inside the cut, notes below."""

from __future__ import annotations

import asyncio
from typing import cast

from telegram import MessageEntity

from bot.core.inline import InlineRuns, inline_question
from bot.ratelimit import SlidingWindow, Window
from bot.render.inline import InlineStream, InlineText, one_message
from bot.render.markdown import render
from bot.render.telegram_io import utf16_units


def test_a_short_answer_is_left_whole() -> None:
    text, entities = render("It is **four**.")
    assert one_message(text, entities, [], "CUT") == (text, entities)
    assert one_message(text, entities, ["⏹ (stopped)"], "CUT")[0] == "It is four.\n\n⏹ (stopped)"


def test_a_long_answer_is_cut_to_one_message_with_the_note_last() -> None:
    body = "**bold start** " + "😀 word " * 2000
    text, entities = render(body)
    cut, kept = one_message(text, entities, ["error note"], "✂️ cut here")
    assert utf16_units(cut) <= 4096
    assert cut.startswith("bold start") and cut.endswith("✂️ cut here\n\nerror note")
    assert kept and kept[0].type == MessageEntity.BOLD and kept[0].offset == 0
    assert all(e.offset + e.length <= utf16_units(cut) for e in kept)


def test_nothing_but_notes() -> None:
    assert one_message("", [], ["limit reached"], "CUT") == ("limit reached", [])
    assert one_message("", [], [], "CUT") == ("…", [])


def test_questions_are_bounded_and_runs_per_user() -> None:
    assert inline_question("  " + "x" * 300 + " ") == "x" * 256
    runs = InlineRuns(per_user=2)
    first, second = runs.start("a", 1), runs.start("b", 1)
    assert first is not None and second is not None and first.key != second.key and first.key.chat_id == 0
    assert runs.start("c", 1) is None and runs.start("a", 2) is None  # too many / already running
    assert runs.start("d", 2) is not None
    runs.end("a")
    assert runs.start("c", 1) is not None and len(runs) == 3


class _Edits:
    """Stands in for InlineText: records the texts."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.painted = asyncio.Event()

    async def edit(self, text: str, entities: list[MessageEntity], markup: object = None) -> None:
        self.texts.append(text)
        self.painted.set()


async def test_previews_of_many_inline_messages_share_a_window_that_frees_again() -> None:
    window = SlidingWindow(Window(2, 0.05))  # each preview counts until 0.05 s after its answer
    for number in range(6):  # more messages than the window holds: the window must free up again
        io = _Edits()
        stream = InlineStream(cast(InlineText, io), interval=0.0, markup=None, cut_note="", window=window)
        stream.start()
        stream.push(lambda number=number: (f"text {number}", []))  # type: ignore[misc]
        await asyncio.wait_for(io.painted.wait(), 2)
        await stream.close()
        assert io.texts == [f"text {number} ▌"]
