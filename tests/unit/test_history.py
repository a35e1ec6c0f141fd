"""Conversation history: titles, FTS escaping, search, resume/delete and the active-conversation cache, export."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.export import build_markdown, file_name
from bot.core.history import HistoryService, display_title
from bot.core.titles import clean_title, first_message_title, model_title
from storage import ChatKey, ExportRow, MessageStatus, Storage
from storage.history import MARK_END, MARK_START, fts_phrase, fts_query, like_pattern, split_terms
from storage.migrations import MIGRATIONS

CHAT = ChatKey(42)
OTHER = ChatKey(43)


# ---------------------------------------------------------------------------------- titles


def test_first_message_title_is_one_short_line_without_the_quote() -> None:
    assert first_message_title("  What   is\nthe   weather\tin Paris?  ") == "What is the weather in Paris?"
    assert first_message_title("> quoted text\n> more\n\nwhen is it?") == "when is it?"
    assert first_message_title("> only a quote") == "> only a quote"
    long = first_message_title("word " * 40)
    assert long.endswith("…") and len(long) <= 48 and "  " not in long
    assert first_message_title("天" * 100) == "天" * 47 + "…"
    assert first_message_title("") == ""


def test_model_title_drops_labels_quotes_punctuation_and_keeps_six_words() -> None:
    assert model_title('Title: "Paris Weather Today."') == "Paris Weather Today"
    assert model_title("标题：「巴黎天气」。") == "巴黎天气"
    assert model_title("**One two three four five six seven eight**") == "One two three four five six"
    assert model_title("\n\n  First line\nsecond line") == "First line"
    assert model_title("   ") is None
    assert model_title('""') is None


def test_clean_title_removes_control_characters_and_bounds_length() -> None:
    assert clean_title("a\x00b\u202ec  d") == "a b c d"
    assert len(clean_title("x" * 500)) == 60


# ---------------------------------------------------------------------------------- FTS escaping


def test_fts_phrase_quotes_every_word_so_nothing_is_syntax() -> None:
    assert fts_phrase('say "hi"') == '"say ""hi"""'
    assert fts_query(['"""', "NEAR(", "*", "ab"]) == '"""""""" AND "NEAR("'
    assert fts_query(["ab", "c"]) is None  # too short for the trigram index: matched with LIKE
    assert split_terms('  foo\x00bar  "  foo  ') == ["foo", "bar", '"']
    assert len(split_terms(" ".join(f"w{i}" for i in range(50)))) == 8
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"


@pytest.mark.parametrize(
    "query", ['"', '""', "NEAR(", "NEAR(a b)", "*", "a*", "AND", "OR NOT", "(((", "col:x", "^abc", "-x", "+", "\\"]
)
def test_hostile_queries_run_as_plain_text(query: str) -> None:
    terms = split_terms(query)
    expression = fts_query(terms)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(content, tokenize = 'trigram')")
    conn.execute("INSERT INTO t (content) VALUES (?)", (f"text with {query} inside",))
    if expression is not None:
        rows = conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall()
        assert rows == [(1,)]


# ---------------------------------------------------------------------------------- storage


async def _conversation(store: Storage, chat: ChatKey, *texts: str) -> int:
    conversation = await store.conversations.active(chat)
    for index, text in enumerate(texts):
        await store.conversations.add_message(
            conversation, "user" if index % 2 == 0 else "assistant", text, token_estimate=5
        )
    return conversation


async def test_migration_10_indexes_existing_messages(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for statements in MIGRATIONS[:9]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("INSERT INTO conversations (id, chat_id, thread_id, created_at) VALUES (1, 42, 0, 1.0)")
    conn.execute(
        "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (1, 'user', 'old giraffe talk', 1.0)"
    )
    conn.execute("PRAGMA user_version = 9")
    conn.commit()
    conn.close()
    opened = await Storage.open(path)
    try:
        found = await opened.history.search(CHAT, ["giraffe"])
        assert [m.conversation_id for m in found] == [1]
        assert f"{MARK_START}gir" in found[0].snippet
    finally:
        await opened.close()


async def test_search_is_per_chat_escapes_hostile_words_and_follows_edits_and_deletes(store: Storage) -> None:
    mine = await _conversation(store, CHAT, "Tell me about giraffes", "Giraffes are tall.")
    await _conversation(store, OTHER, "giraffes elsewhere")
    found = await store.history.search(CHAT, split_terms("GIRAFFE"))
    assert {m.conversation_id for m in found} == {mine}
    for hostile in ['"', "NEAR(", "*", 'giraffe" OR "x', "AND OR NOT (", "a_b%"]:
        await store.history.search(CHAT, split_terms(hostile))  # never raises
    assert await store.history.search(CHAT, split_terms('giraffes" OR "x')) == []
    short = await store.history.search(CHAT, ["me"])  # shorter than a trigram: LIKE
    assert short and f"{MARK_START}me{MARK_END}" in short[0].snippet
    answer = await store.conversations.begin_answer(await _conversation(store, CHAT, "zebra question"))
    assert answer is not None
    await store.conversations.finish_answer(answer, "zebras have stripes", MessageStatus.COMPLETE, token_estimate=3)
    assert await store.history.search(CHAT, ["stripes"])
    assert await store.conversations.delete(CHAT, mine)
    assert await store.history.search(CHAT, ["giraffe"]) == []
    if store.db.dialect == "sqlite":  # the FTS5 index followed every insert, edit and delete
        async with store.db.transaction() as conn:
            await conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")


async def test_resume_and_delete_keep_the_active_cache_right(store: Storage) -> None:
    first = await _conversation(store, CHAT, "first question", "first answer")
    second = await store.conversations.start_new(CHAT)
    assert await store.conversations.active(CHAT) == second
    assert await store.conversations.resume(CHAT, first)
    assert await store.conversations.active(CHAT) == first
    assert not await store.conversations.resume(OTHER, first)  # not that chat's
    assert not await store.conversations.resume(ChatKey(42, 7), first)  # nor that topic's
    assert await store.conversations.active(CHAT) == first
    async with (
        store.db.read() as conn,
        conn.execute("SELECT id FROM conversations WHERE chat_id = 42 AND active = 1") as cursor,
    ):
        assert [row[0] for row in await cursor.fetchall()] == [first]
    assert not await store.conversations.delete(OTHER, first)
    assert await store.conversations.delete(CHAT, first)
    fresh = await store.conversations.active(CHAT)
    assert fresh not in (first, second)


async def test_history_pages_titles_and_renames(store: Storage) -> None:
    service = HistoryService(store, titles=None)  # type: ignore[arg-type]
    ids = []
    for index in range(10):
        ids.append(await _conversation(store, CHAT, f"question {index}", f"answer {index}"))
        await store.conversations.start_new(CHAT)
    page = await service.page(CHAT, 0)
    assert (page.pages, page.total, len(page.items)) == (2, 10, 8)
    assert [item.id for item in page.items] == ids[::-1][:8]
    assert display_title(page.items[0]) == "question 9" and page.items[0].messages == 2
    last = await service.page(CHAT, 99)
    assert last.page == 1 and [item.id for item in last.items] == ids[1::-1]
    assert await service.rename(CHAT, ids[0], "  My   own\nname ") == "My own name"
    assert await service.rename(OTHER, ids[0], "stolen") is None
    assert await service.rename(CHAT, ids[0], "   ") is None
    assert not await store.history.set_model_title(ids[0], "model title")  # the user's name wins
    assert await store.history.set_model_title(ids[1], "Model Title")
    assert await store.history.has_title(ids[1])
    summary = await service.get(CHAT, ids[0])
    assert summary is not None and display_title(summary) == "My own name"


async def test_export_is_markdown_with_times_images_and_a_bounded_size() -> None:
    rows = [
        ExportRow(1, "user", "look at this", "complete", 2, 0.0),
        ExportRow(2, "assistant", "", "failed", 0, 1.0),
        ExportRow(3, "assistant", "A **cat**.", "complete", 0, 60.0),
        ExportRow(4, "assistant", "old", "superseded", 0, 61.0),
        ExportRow(5, "user", "summarise", "complete", 0, 120.0, ("report.pdf",)),
    ]

    async def each(items: list[ExportRow]) -> AsyncIterator[ExportRow]:
        for row in items:
            yield row

    names = {"user": "User", "assistant": "Assistant"}
    built = await build_markdown("Cats: a/b?", 5, 0.0, each(rows), names, "cut")
    text = built.content.decode()
    assert text.startswith("# Cats: a/b?\n")
    assert "### User · 1970-01-01 00:00 UTC\n\n[image] [image]\n\nlook at this" in text
    assert "### Assistant · 1970-01-01 00:01 UTC\n\nA **cat**." in text
    assert "[file: report.pdf]\n\nsummarise" in text
    assert "old" not in text and not built.truncated
    assert built.name == "Cats-a-b.md"
    many = [ExportRow(i, "user", "x" * 1000, "complete", 0, 0.0) for i in range(100)]
    small = await build_markdown("t", 5, 0.0, each(many), names, "cut here", limit=10_000)
    assert small.truncated and len(small.content) <= 10_100 and small.content.decode().endswith("_cut here_\n")


def test_file_names_are_safe() -> None:
    assert file_name("../../etc/passwd", 3) == "etc-passwd.md"
    assert file_name("巴黎 天气", 3) == "巴黎-天气.md"
    assert file_name("???", 7) == "conversation-7.md"
    assert file_name("a\x00b\r\nc", 1) == "a-b-c.md"
    assert len(file_name("x" * 300, 1)) == 63


def test_history_callback_data_is_parsed_strictly() -> None:
    from bot.render import callback_data

    assert callback_data.parse_history(callback_data.history("open", 12)) == callback_data.HistoryPress("open", 12)
    assert callback_data.parse_history("hist:p:3") == callback_data.HistoryPress("page", 3)
    for forged in (
        "hist:o:abc",
        "hist:x:1",
        "hist:o:",
        "hist:p:10000",
        "hist:o:1:2",
        "hist:o:²",
        "hist:",
        "o:1",
        "hist:o:-1",
    ):
        assert callback_data.parse_history(forged) is None, forged
    assert len(callback_data.history("confirm", 10**17).encode()) <= callback_data.MAX_CALLBACK_BYTES
    with pytest.raises(ValueError):
        callback_data.history("steal", 1)
