"""Text out of files people send: PDF, DOCX and plain text, always bounded in time, memory and length.

Nothing here knows Telegram: it gets bytes, a kind and a token cap, and gives text (or a reason it has none).
Extraction stops once the cap is reached, so a 5,000-page PDF costs what its first pages cost; a DOCX is
checked for what it would unpack to before it is opened; it all runs in a worker thread (`extract_async`).
"""

from __future__ import annotations

import asyncio
import codecs
import io
import logging
import time
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Literal

from .context import estimate_tokens

log = logging.getLogger(__name__)

DocumentKind = Literal["pdf", "docx", "text"]

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT_EXTENSIONS = frozenset(
    "txt text md markdown rst csv tsv json jsonl ndjson yaml yml toml ini cfg conf env properties xml html htm xhtml "
    "log srt vtt tex bib diff patch sql graphql gql proto ipynb "
    "py pyi js mjs cjs jsx ts tsx java kt kts scala groovy gradle c h cc cpp cxx hpp hh cs go rs rb php pl pm swift "
    "m mm dart lua r jl sh bash zsh fish ps1 bat cmd vue svelte css scss sass less ex exs erl hs ml clj el vim "
    "nim zig sol asm s".split()
)
TEXT_NAMES = frozenset({"dockerfile", "makefile", "readme", "license", "changelog", "gemfile", "procfile"})
TEXT_MIMES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/yaml",
        "application/x-yaml",
        "application/javascript",
        "application/x-javascript",
        "application/typescript",
        "application/x-sh",
        "application/sql",
        "application/toml",
        "application/x-python",
        "application/x-python-code",
        "application/xhtml+xml",
        "application/ld+json",
    }
)

CHARS_PER_TOKEN = 4  # the estimator's most generous rate (non-CJK text)
MAX_BYTES_PER_CHAR = 4  # UTF-8's widest; GBK/UTF-16 are narrower
PDF_MAX_PAGES = 2_000  # pages looked at, with or without text
PDF_DEADLINE = 20.0  # seconds of extraction before the rest of a PDF is left out
DOCX_MAX_XML = 32 * 1024 * 1024  # what a DOCX's XML parts may unpack to (a zip bomb is refused unopened)
DOCX_MAX_UNPACKED = 128 * 1024 * 1024  # everything in the package (images included)
DOCX_MAX_ENTRIES = 2_000
DETECT_SAMPLE = 64 * 1024  # bytes the encoding is detected from
PREFERRED_TIE = "cp1252"  # Western Windows text: detection often ties it with cp1250 on short texts


class Problem(StrEnum):
    SCANNED = "scanned"  # a PDF without a text layer
    ENCRYPTED = "encrypted"  # a PDF with a password
    EMPTY = "empty"  # opened fine, no text in it
    NOT_TEXT = "not_text"  # said to be text, is binary
    UNREADABLE = "unreadable"  # damaged, or too large or complex to unpack


class DocumentError(Exception):
    def __init__(self, problem: Problem, detail: str = "") -> None:
        super().__init__(f"{problem}: {detail}" if detail else str(problem))
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Cut:
    """How much of a file was read when its text went past the cap."""

    kept_percent: int  # about how much of the file the kept text is
    pages_read: int | None = None  # PDFs: the page the text stops in
    pages: int | None = None


@dataclass(frozen=True, slots=True)
class Extraction:
    text: str
    cut: Cut | None
    cap: int  # the token cap it was read with

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text)


def document_kind(file_name: str | None, mime_type: str | None) -> DocumentKind | None:
    """Which reader a file gets, from its name and MIME type; None for kinds the bot cannot read."""
    mime = (mime_type or "").split(";")[0].strip().lower()
    path = PurePosixPath((file_name or "").lower())
    ext = path.suffix.lstrip(".")
    if mime.startswith(("image/", "audio/", "video/")):
        return None
    if ext == "pdf" or mime == "application/pdf":
        return "pdf"
    if ext == "docx" or mime == DOCX_MIME:
        return "docx"
    if ext in TEXT_EXTENSIONS or path.name in TEXT_NAMES or mime.startswith("text/") or mime in TEXT_MIMES:
        return "text"
    return None


async def extract_async(data: bytes, kind: DocumentKind, max_tokens: int) -> Extraction:
    """`extract` in a worker thread: the event loop keeps serving other chats meanwhile."""
    return await asyncio.to_thread(extract, data, kind, max_tokens)


def extract(data: bytes, kind: DocumentKind, max_tokens: int) -> Extraction:
    """The file's text, at most `max_tokens` estimated tokens of its beginning; DocumentError when none."""
    if kind == "pdf":
        text, cut = _pdf(data, max_tokens)
    elif kind == "docx":
        text, cut = _docx(data, max_tokens)
    else:
        text, cut = _plain(data, max_tokens)
    if not text.strip():
        raise DocumentError(Problem.SCANNED if kind == "pdf" else Problem.EMPTY)
    return Extraction(text, cut, max_tokens)


def cut_to_tokens(text: str, max_tokens: int) -> str:
    """The longest beginning of `text` within `max_tokens` (ending at a line break when one is near)."""
    if estimate_tokens(text) <= max_tokens:
        return text
    low, high = 0, min(len(text), max(0, max_tokens) * CHARS_PER_TOKEN)
    while low < high:  # the estimate grows with length: the longest prefix that fits
        middle = (low + high + 1) // 2
        if estimate_tokens(text[:middle]) <= max_tokens:
            low = middle
        else:
            high = middle - 1
    kept = text[:low]
    line_end = kept.rfind("\n", max(0, low - 2_000))
    return kept[:line_end] if line_end > low // 2 else kept


class _Collector:
    """Pieces of text until the cap: `add` says False once there is no room left."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self.pieces: list[str] = []
        self.spent = 0
        self.full = False

    def add(self, piece: str) -> bool:
        if not piece.strip():
            return True
        cost = estimate_tokens(piece)
        if self.spent + cost > self.max_tokens:
            rest = cut_to_tokens(piece, self.max_tokens - self.spent)
            if rest.strip():
                self.pieces.append(rest)
            self.full = True
            return False
        self.pieces.append(piece)
        self.spent += cost
        return True

    def text(self) -> str:
        return "\n\n".join(piece.strip("\n") for piece in self.pieces)


def _pdf(data: bytes, max_tokens: int) -> tuple[str, Cut | None]:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise DocumentError(Problem.ENCRYPTED)
        pages = len(reader.pages)
    except DocumentError:
        raise
    except DependencyError as error:  # an encryption pypdf cannot open without an extra library
        raise DocumentError(Problem.ENCRYPTED, str(error)) from error
    except Exception as error:  # not a PDF, or a damaged one (pypdf's errors, and what broken objects raise)
        raise DocumentError(Problem.UNREADABLE, repr(error)) from error
    collector = _Collector(max_tokens)
    deadline = time.monotonic() + PDF_DEADLINE
    read = 0
    for index in range(min(pages, PDF_MAX_PAGES)):
        if time.monotonic() > deadline:
            log.info("PDF extraction stopped at page %d of %d: out of time", index, pages)
            if not collector.pieces:  # not a scan: too slow to read
                raise DocumentError(Problem.UNREADABLE, f"no text in the pages read in {PDF_DEADLINE:.0f} s")
            break
        read = index + 1
        try:
            page_text = reader.pages[index].extract_text() or ""
        except Exception as error:  # one broken page must not lose the others
            log.info("PDF page %d unreadable: %r", index + 1, error)
            continue
        if not collector.add(page_text):
            break
    text = collector.text()
    if read >= pages and not collector.full:
        return text, None
    return text, Cut(max(1, min(99, read * 100 // max(pages, 1))), read, pages)


def _check_package(archive: zipfile.ZipFile) -> None:
    """Refuse a DOCX that would unpack to more than the bot is willing to hold (sizes as declared: zipfile
    never gives more than the declared size of an entry, it fails the CRC check instead)."""
    entries = archive.infolist()
    if len(entries) > DOCX_MAX_ENTRIES:
        raise DocumentError(Problem.UNREADABLE, f"{len(entries)} parts")
    xml = sum(e.file_size for e in entries if e.filename.endswith((".xml", ".rels")))
    total = sum(e.file_size for e in entries)
    if xml > DOCX_MAX_XML or total > DOCX_MAX_UNPACKED:
        raise DocumentError(Problem.UNREADABLE, f"unpacks to {total} bytes ({xml} of XML)")


def _docx(data: bytes, max_tokens: int) -> tuple[str, Cut | None]:
    import docx
    from docx.table import Table

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_package(archive)
        document = docx.Document(io.BytesIO(data))
        blocks = len(document.element.body)
        collector = _Collector(max_tokens)
        seen = 0
        for block in document.iter_inner_content():
            seen += 1
            if isinstance(block, Table):
                piece = "\n".join(" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows)
            else:
                piece = block.text
            if not collector.add(piece):
                break
    except DocumentError:
        raise
    except Exception as error:  # not a zip, not a Word file, XML too deep or damaged (lxml's limits)
        raise DocumentError(Problem.UNREADABLE, repr(error)) from error
    if not collector.full:
        return collector.text(), None
    return collector.text(), Cut(max(1, min(99, seen * 100 // max(blocks, 1))))


def _plain(data: bytes, max_tokens: int) -> tuple[str, Cut | None]:
    """Decode only the beginning that can hold `max_tokens`; UTF-8 (or a BOM's encoding), else detected."""
    limit = max(1, max_tokens) * CHARS_PER_TOKEN * MAX_BYTES_PER_CHAR
    head = data[:limit]
    encoding = _encoding(head)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(head, final=len(head) == len(data)).replace("\r\n", "\n")
    kept = cut_to_tokens(text, max_tokens)
    if len(head) == len(data) and len(kept) == len(text):
        return kept, None
    kept_bytes = len(kept.encode(encoding, errors="replace"))
    return kept, Cut(max(1, min(99, kept_bytes * 100 // len(data))))


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise DocumentError(Problem.NOT_TEXT, "NUL bytes")
    try:
        codecs.getincrementaldecoder("utf-8")(errors="strict").decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    sample = head[:DETECT_SAMPLE]
    if len(head) > DETECT_SAMPLE and b"\n" in sample:  # whole lines: a character cut in two misleads detection
        sample = sample[: sample.rfind(b"\n") + 1]
    matches = from_bytes(sample)
    best = matches.best()
    if best is None:
        raise DocumentError(Problem.NOT_TEXT, "no text encoding fits")
    tied = {m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)}
    return PREFERRED_TIE if PREFERRED_TIE in tied else best.encoding
