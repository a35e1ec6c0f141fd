"""Reading documents: kinds, text out of PDF/DOCX/plain files, the bounds hostile files meet, re-reading them."""

from __future__ import annotations

import codecs
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pypdf import PageObject

from bot.core import documents
from bot.core.context import build_messages, estimate_tokens
from bot.core.document_reader import MAX_REQUEST_DOCUMENTS, DocumentReader, document_block
from bot.core.documents import DocumentError, Problem, cut_to_tokens, document_kind, extract, extract_async
from storage import ChatKey, Storage, StoredDocument
from tests.documents import docx_bomb, docx_file, docx_nested, pdf


@pytest.mark.parametrize(
    ("name", "mime", "kind"),
    [
        ("report.PDF", None, "pdf"),
        (None, "application/pdf", "pdf"),
        ("memo.docx", None, "docx"),
        ("x", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
        ("main.rs", "application/octet-stream", "text"),
        ("Dockerfile", None, "text"),
        ("data.unknown", "text/csv", "text"),
        ("config", "application/json", "text"),
        ("clip.ts", "video/mp2t", None),  # a video, whatever its name
        ("photo.png", "image/png", None),
        ("old.doc", "application/msword", None),
        ("archive.zip", "application/zip", None),
        (None, None, None),
    ],
)
def test_document_kind_by_name_and_mime_type(name: str | None, mime: str | None, kind: str | None) -> None:
    assert document_kind(name, mime) == kind


def test_a_pdf_gives_its_pages_text_in_order() -> None:
    read = extract(pdf(["First (page)", "Revenue grew 12%"], "Second page"), "pdf", 1000)
    assert read.text == "First (page)\nRevenue grew 12%\n\nSecond page" and read.cut is None


def test_a_pdf_without_text_is_a_scan_and_one_with_a_password_is_encrypted() -> None:
    with pytest.raises(DocumentError) as scanned:
        extract(pdf([], []), "pdf", 1000)
    assert scanned.value.problem == Problem.SCANNED
    with pytest.raises(DocumentError) as locked:
        extract(pdf(["secret"], password="pw"), "pdf", 1000)
    assert locked.value.problem == Problem.ENCRYPTED
    with pytest.raises(DocumentError) as broken:
        extract(b"%PDF-1.7\n1 0 obj << /Type /Catalog", "pdf", 1000)
    assert broken.value.problem == Problem.UNREADABLE


def test_a_pdf_with_only_an_owner_password_is_read() -> None:
    read = extract(pdf(["open to all"], password=""), "pdf", 1000)
    assert read.text == "open to all"


def _count_page_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = PageObject.extract_text

    def counted(self: PageObject, *args: object, **kwargs: object) -> str:
        calls.append(1)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PageObject, "extract_text", counted)
    return calls


def test_a_pdf_of_thousands_of_pages_is_read_only_as_far_as_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    book = pdf([f"Sentence {n} of a very long book, page after page." for n in range(30)], repeat=5000)
    calls = _count_page_reads(monkeypatch)
    read = extract(book, "pdf", 500)
    assert len(calls) == 2 and estimate_tokens(read.text) <= 500
    assert read.cut is not None and (read.cut.pages_read, read.cut.pages, read.cut.kept_percent) == (2, 5000, 1)


def test_a_pdf_of_thousands_of_empty_pages_stops_at_the_page_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "PDF_MAX_PAGES", 100)
    calls = _count_page_reads(monkeypatch)
    with pytest.raises(DocumentError) as scanned:
        extract(pdf([], repeat=3000), "pdf", 500)
    assert scanned.value.problem == Problem.SCANNED and len(calls) == 100


def test_a_pdf_too_slow_to_read_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "PDF_DEADLINE", -1.0)
    with pytest.raises(DocumentError) as slow:
        extract(pdf(["text"]), "pdf", 500)
    assert slow.value.problem == Problem.UNREADABLE


def test_a_docx_gives_paragraphs_and_tables_in_order() -> None:
    read = extract(docx_file("Title", "", "Body text", table=[["a", "b"], ["c", "d"]]), "docx", 1000)
    assert read.text == "Title\n\nBody text\n\na | b\nc | d" and read.cut is None


def test_a_long_docx_is_cut_at_the_cap() -> None:
    read = extract(docx_file(*[f"Paragraph {n} says something." for n in range(2000)]), "docx", 200)
    assert read.text.startswith("Paragraph 0 says") and estimate_tokens(read.text) <= 200
    assert read.cut is not None and 1 <= read.cut.kept_percent <= 5 and read.cut.pages is None


def test_a_zip_bomb_docx_is_refused_before_it_is_unpacked() -> None:
    bomb = docx_bomb(200)
    assert len(bomb) < 2_000_000  # 200 MB of XML in well under 2 MB
    with pytest.raises(DocumentError) as refused:
        extract(bomb, "docx", 1000)
    assert refused.value.problem == Problem.UNREADABLE and "unpacks to" in str(refused.value)


def test_a_docx_nested_a_hundred_thousand_deep_is_refused_by_the_parser() -> None:
    with pytest.raises(DocumentError) as refused:
        extract(docx_nested(100_000), "docx", 1000)
    assert refused.value.problem == Problem.UNREADABLE and "depth" in str(refused.value).lower()


def test_a_docx_that_is_not_a_zip_is_unreadable() -> None:
    with pytest.raises(DocumentError) as refused:
        extract(b"not a zip at all", "docx", 1000)
    assert refused.value.problem == Problem.UNREADABLE


GBK_TEXT = "中文文本，用GBK编码保存。今天天气很好，我们去公园散步。" * 4
CP1252_TEXT = "The café serves crème brûlée — it’s a façade. " * 4


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"plain ascii\nline two", "plain ascii\nline two"),
        (codecs.BOM_UTF8 + "naïve".encode(), "naïve"),
        ("wide ✓".encode("utf-16"), "wide ✓"),
        (b"Windows\r\nlines\r\n", "Windows\nlines\n"),
        (GBK_TEXT.encode("gbk"), GBK_TEXT),
        (CP1252_TEXT.encode("cp1252"), CP1252_TEXT),
    ],
)
def test_plain_text_in_utf8_or_a_detected_encoding(data: bytes, text: str) -> None:
    read = extract(data, "text", 1000)
    assert read.text == text and read.cut is None


def test_binary_and_empty_files_are_not_text() -> None:
    with pytest.raises(DocumentError) as binary:
        extract(b"\x7fELF\x02\x01\x01\x00\x00\x00", "text", 1000)
    assert binary.value.problem == Problem.NOT_TEXT
    with pytest.raises(DocumentError) as empty:
        extract(b"  \n\n ", "text", 1000)
    assert empty.value.problem == Problem.EMPTY


def test_a_20_mb_text_file_decodes_only_the_beginning_it_needs() -> None:
    data = b"0123456789abcdef" * (20 * 1024 * 1024 // 16)
    read = extract(data, "text", 100)
    assert estimate_tokens(read.text) <= 100 and read.text.startswith("0123456789abcdef")
    assert read.cut is not None and read.cut.kept_percent == 1


def test_cut_to_tokens_keeps_the_longest_beginning_within_the_cap() -> None:
    text = "word " * 1000 + "中文" * 1000
    for cap in (10, 100, 1300, 2000):
        kept = cut_to_tokens(text, cap)
        assert text.startswith(kept) and estimate_tokens(kept) <= cap
    assert cut_to_tokens("short", 100) == "short"
    lines = "\n".join(f"line {n}" for n in range(500))
    assert cut_to_tokens(lines, 100).endswith(("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"))


async def test_extraction_runs_in_a_worker_thread() -> None:
    read = await extract_async(b"hello from a thread", "text", 100)
    assert read.text == "hello from a thread"


# --------------------------------------------------------------- documents in a conversation


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await Storage.open(tmp_path / "db" / "bot.sqlite3")
    yield opened
    await opened.close()


async def test_messages_store_their_documents_as_json_and_read_them_back(store: Storage) -> None:
    chat = ChatKey(5)
    conversation = await store.conversations.active(chat)
    document = StoredDocument("FILE-1", '报告 "final".pdf', "pdf")
    await store.conversations.add_message(conversation, "user", "Summarise", token_estimate=10, documents=(document,))
    await store.conversations.add_message(conversation, "user", "plain", token_estimate=3)
    first, second = await store.conversations.window(conversation, 1000)
    assert first.documents == (document,) and second.documents == ()
    async with store.db.read() as conn, conn.execute("SELECT documents FROM messages ORDER BY id") as cursor:
        rows = [row[0] for row in await cursor.fetchall()]
    assert json.loads(rows[0]) == [{"file_id": "FILE-1", "name": '报告 "final".pdf', "kind": "pdf"}]
    assert rows[1] is None


class Files:
    def __init__(self, contents: dict[str, bytes]) -> None:
        self.contents = contents
        self.fetched: list[str] = []

    async def fetch(self, file_id: str) -> bytes:
        self.fetched.append(file_id)
        return self.contents[file_id]


async def test_requests_carry_the_newest_documents_that_fit_and_name_the_rest(store: Storage) -> None:
    chat = ChatKey(7)
    conversation = await store.conversations.active(chat)
    files = Files({f"F{n}": (f"document {n} " * 100).encode() for n in range(3)})
    for n in range(3):
        document = StoredDocument(f"F{n}", f"doc{n}.txt", "text")
        await store.conversations.add_message(conversation, "user", f"q{n}", token_estimate=300, documents=(document,))
        await store.conversations.add_message(conversation, "assistant", f"a{n}", token_estimate=5)
    history = await store.conversations.window(conversation, 10_000)
    reader = DocumentReader(store.settings, "gpt-4o-mini", 16_000, 30_000)
    # room for the two newest blocks (~280 tokens each) but not a third
    blocks = await reader.for_request(history, files.fetch, 700)
    assert sorted(blocks) == ["F1", "F2"] and files.fetched == ["F2", "F1"]
    messages = build_messages(None, history, None, blocks)
    assert messages[0].content == "[file: doc0.txt]\n\nq0"
    assert messages[2].content == f"{blocks['F1']}\n\nq1" and blocks["F1"].startswith('<file name="doc1.txt">\n')
    await reader.for_request(history, files.fetch, 700)
    assert files.fetched == ["F2", "F1"]  # the second request reads them from memory


async def test_a_document_gone_from_telegram_is_named_and_the_request_goes_on(store: Storage) -> None:
    conversation = await store.conversations.active(ChatKey(8))
    gone = StoredDocument("GONE", "old.md", "text")
    await store.conversations.add_message(conversation, "user", "look", token_estimate=20, documents=(gone,))
    history = await store.conversations.window(conversation, 1000)
    reader = DocumentReader(store.settings, "gpt-4o-mini", 16_000, 30_000)
    blocks = await reader.for_request(history, Files({}).fetch, 5000)
    assert blocks == {} and build_messages(None, history, None, blocks)[0].content == "[file: old.md]\n\nlook"


async def test_at_most_a_few_documents_are_read_again_for_one_request(store: Storage) -> None:
    conversation = await store.conversations.active(ChatKey(9))
    count = MAX_REQUEST_DOCUMENTS + 3
    files = Files({f"F{n}": b"tiny" for n in range(count)})
    for n in range(count):
        document = StoredDocument(f"F{n}", f"{n}.txt", "text")
        await store.conversations.add_message(conversation, "user", "x", token_estimate=10, documents=(document,))
    history = await store.conversations.window(conversation, 10_000)
    reader = DocumentReader(store.settings, "gpt-4o-mini", 16_000, 30_000)
    blocks = await reader.for_request(history, files.fetch, 100_000)
    assert len(blocks) == MAX_REQUEST_DOCUMENTS and "F0" not in blocks and f"F{count - 1}" in blocks


async def test_a_new_document_takes_at_most_a_share_of_the_chat_models_budget(store: Storage) -> None:
    chat = ChatKey(10)
    files = Files({"BIG": ("lorem ipsum " * 40_000).encode()})
    reader = DocumentReader(store.settings, "gpt-4o-mini", 4_000, 30_000)
    read = await reader.first_read(chat, "Summarise this file.", StoredDocument("BIG", "big.txt", "text"), files.fetch)
    assert read.cut is not None and 2_800 <= read.tokens <= 3_000  # 75% of MAX_CONTEXT_TOKENS=4000
    await store.settings.set_model(chat, "gpt-4")  # an 8k window, less the answer's reserve: 4096
    reader = DocumentReader(store.settings, "gpt-4o-mini", 16_000, 30_000)
    read = await reader.first_read(chat, "Summarise this file.", StoredDocument("BIG", "big.txt", "text"), files.fetch)
    assert read.tokens <= 4096 * 3 // 4


def test_a_document_block_is_named_and_says_when_it_was_cut() -> None:
    whole = extract(b"all of it", "text", 100)
    assert document_block('a "quoted"\nname.txt', whole) == "<file name=\"a 'quoted' name.txt\">\nall of it\n</file>"
    cut = extract(b"word " * 1000, "text", 20)
    assert document_block("x.txt", cut).endswith("it is longer than the bot reads]\n</file>")
