"""Documents in a conversation: read when they arrive, read again by file id for the requests that carry them.

Only a document's file id, name and kind are stored. Its text is extracted when it arrives (so the user hears
at once about a scanned PDF or a cut) and kept in a small in-memory cache; a request after a restart fetches
the file again. Requests carry the newest documents while they fit the token budget, the rest as "[file: name]".
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from storage import ChatKey, ChatSettingsRepository, StoredDocument, StoredMessage

from .context import IMAGE_TOKENS, estimate_tokens, history_budget
from .documents import Cut, DocumentError, DocumentKind, Extraction, cut_to_tokens, extract_async

log = logging.getLogger(__name__)

FileFetcher = Callable[[str], Awaitable[bytes]]

MIN_DOCUMENT_TOKENS = 256  # with less room than this a document is only named
MAX_REQUEST_DOCUMENTS = 5  # documents read again for one request, newest first
BLOCK_TOKENS = 32  # the block's framing and the note of a cut
PLACEHOLDER_TOKENS = 8
# A new document may take this share of the model's budget: the rest is for the questions and answers about
# it, so that the next turns still carry it (a document filling the whole budget would drop out at once).
DOCUMENT_SHARE = 75
CUT_NOTE = "[… the rest of this file was left out: it is longer than the bot reads]"


@dataclass(frozen=True, slots=True)
class FirstRead:
    """What the user is told about a document that just arrived, and what it costs in a request."""

    cut: Cut | None
    tokens: int


def document_block(name: str, extraction: Extraction) -> str:
    """The text as the model sees it: delimited, named, and saying when it is only the beginning."""
    label = " ".join(name.replace('"', "'").split()) or "file"
    tail = f"\n{CUT_NOTE}" if extraction.cut is not None else ""
    return f'<file name="{label}">\n{extraction.text}{tail}\n</file>'


def _kind(stored: str) -> DocumentKind:
    return "pdf" if stored == "pdf" else "docx" if stored == "docx" else "text"


def _cost_without_documents(message: StoredMessage) -> int:
    if not message.documents:
        return message.token_estimate
    images = IMAGE_TOKENS * len(message.attachments)
    return estimate_tokens(message.content) + images + PLACEHOLDER_TOKENS * len(message.documents)


def _trimmed(extraction: Extraction, cap: int) -> Extraction:
    """A cached extraction within a smaller cap (a request with less room than when it was read)."""
    if extraction.tokens <= cap:
        return extraction
    text = cut_to_tokens(extraction.text, cap)
    read_before = extraction.cut.kept_percent if extraction.cut else 100
    percent = max(1, len(text) * read_before // max(1, len(extraction.text)))
    return Extraction(text, Cut(percent), cap)


class DocumentReader:
    CACHE_CHARS = 2_000_000  # extracted text kept in memory, newest used first

    def __init__(
        self, settings: ChatSettingsRepository, default_model: str, max_context_tokens: int, max_tokens: int
    ) -> None:
        self._settings = settings
        self._default_model = default_model
        self._max_context_tokens = max_context_tokens
        self._max_tokens = max_tokens
        self._cache: OrderedDict[str, Extraction] = OrderedDict()
        self._cached_chars = 0

    async def first_read(self, chat: ChatKey, text: str, document: StoredDocument, fetch: FileFetcher) -> FirstRead:
        """Read a document that just arrived, capped by DOCUMENT_MAX_TOKENS and a share of the chat model's budget.

        Raises DocumentError (scanned, encrypted, empty, not text, unreadable) when there is no text to give."""
        settings = await self._settings.get(chat)
        budget = history_budget(settings.model or self._default_model, self._max_context_tokens)
        budget -= estimate_tokens(settings.system_prompt) if settings.system_prompt else 0
        budget = budget * DOCUMENT_SHARE // 100 - estimate_tokens(text) - BLOCK_TOKENS
        cap = max(MIN_DOCUMENT_TOKENS, min(self._max_tokens, budget))
        extraction = await self.read(document, fetch, cap)
        return FirstRead(extraction.cut, estimate_tokens(document_block(document.name, extraction)))

    async def read(self, document: StoredDocument, fetch: FileFetcher, cap: int) -> Extraction:
        """The document's text within `cap` tokens: from the cache (never more than first read), else fetched."""
        cached = self._cache.get(document.file_id)
        if cached is not None:
            self._cache.move_to_end(document.file_id)
            return _trimmed(cached, cap)
        data = await fetch(document.file_id)
        try:
            extraction = await extract_async(data, _kind(document.kind), cap)
        finally:
            del data
        self._remember(document.file_id, extraction)
        return extraction

    async def for_request(self, history: list[StoredMessage], fetch: FileFetcher | None, budget: int) -> dict[str, str]:
        """Text blocks (by file id) of the newest documents in `history` that fit what the budget leaves.

        A document that cannot be fetched or read again, or has no room left, is named only ("[file: name]")."""
        blocks: dict[str, str] = {}
        if fetch is None:
            return blocks
        room = budget - sum(_cost_without_documents(m) for m in history)
        newest_first = [d for m in reversed(history) if m.role == "user" for d in reversed(m.documents)]
        for document in newest_first[:MAX_REQUEST_DOCUMENTS]:
            cap = min(self._max_tokens, room - BLOCK_TOKENS)
            if cap < MIN_DOCUMENT_TOKENS:
                break
            if document.file_id in blocks:
                continue
            try:
                extraction = await self.read(document, fetch, cap)
            except DocumentError as error:
                log.info("document %s has no text any more: %s", document.file_id, error)
                continue
            except Exception as error:  # a file Telegram no longer serves must not break the turn
                log.info("document %s could not be fetched again: %s", document.file_id, error)
                continue
            block = document_block(document.name, extraction)
            blocks[document.file_id] = block
            room -= estimate_tokens(block)
        return blocks

    def _remember(self, file_id: str, extraction: Extraction) -> None:
        if len(extraction.text) > self.CACHE_CHARS:
            return
        old = self._cache.pop(file_id, None)
        self._cached_chars -= len(old.text) if old else 0
        self._cache[file_id] = extraction
        self._cached_chars += len(extraction.text)
        while self._cached_chars > self.CACHE_CHARS:
            _, dropped = self._cache.popitem(last=False)
            self._cached_chars -= len(dropped.text)
