"""Search by meaning (`EMBEDDING_MODEL`): messages embedded in the background, ranked by cosine similarity.

Off unless the owner names a model. Embedding is a paid call: batched (up to BATCH texts a request),
its tokens counted in the usage of the user whose conversation it is, and never on a turn's path. A
vector is kept compactly: unit length, float16 (512 bytes for 256 dimensions, 3 KB for 1536).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.wenwen import WenwenError
from bot.wenwen.embeddings import EmbeddingsClient
from storage import ChatKey
from storage.embeddings import EmbeddingRepository, Unembedded

from .context import estimate_tokens
from .limits import DailyLimits

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

BATCH = 64  # texts per embeddings request
MAX_VECTORS = 5000  # of a chat's newest messages, ranked per search (about 3 MB of float16 at 1536 dimensions)
MIN_SCORE = 0.35  # cosine similarity below which a message is not "about" the query
QUERY_CHARS = 500


@dataclass(frozen=True, slots=True)
class MeaningMatch:
    conversation_id: int
    message_id: int
    score: float


def pack(vector: list[float]) -> bytes | None:
    """Unit length, float16 little-endian; None for a zero vector (it matches nothing)."""
    import numpy as np  # here, not at the top: 12 MB of memory only for bots that search by meaning
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    if not np.isfinite(norm) or norm == 0.0:
        return None
    return (array / norm).astype("<f2").tobytes()


def unpack(blob: bytes) -> np.ndarray:
    import numpy as np

    return np.frombuffer(blob, dtype="<f2").astype(np.float32)


class MeaningIndex:
    def __init__(
        self, client: EmbeddingsClient, repository: EmbeddingRepository, limits: DailyLimits, model: str | None
    ) -> None:
        self._client = client
        self._repository = repository
        self._limits = limits
        self.model = model

    @property
    def enabled(self) -> bool:
        return self.model is not None

    async def index_batch(self) -> int:
        """Embed up to BATCH messages that have no vector yet (newest first); how many were stored."""
        if self.model is None:
            return 0
        pending = await self._repository.unembedded(self.model, BATCH)
        if not pending:
            return 0
        try:
            embedded = await self._client.embed(self.model, [item.text for item in pending])
        except WenwenError as error:
            log.warning("embeddings request failed (%s); trying again later", error.kind)
            return 0
        rows = [(item.message_id, packed) for item, vector in zip(pending, embedded.vectors, strict=True)
                if (packed := pack(vector)) is not None]
        await self._repository.store(self.model, rows)
        await self._count_tokens(pending, embedded.prompt_tokens)
        return len(rows)

    async def rank(self, chat: ChatKey, query: str, user_id: int) -> list[MeaningMatch]:
        """The chat's messages closest in meaning to `query`, best first, one per conversation."""
        if self.model is None or not query.strip():
            return []
        try:
            embedded = await self._client.embed(self.model, [query[:QUERY_CHARS]])
        except WenwenError as error:
            log.info("embedding a search failed (%s); text matches only", error.kind)
            return []
        tokens = embedded.prompt_tokens if embedded.prompt_tokens is not None else estimate_tokens(query)
        await self._limits.add_tokens(user_id, self.model, tokens, 0)
        wanted = pack(embedded.vectors[0])
        stored = await self._repository.of_chat(chat, self.model, MAX_VECTORS)
        if wanted is None or not stored:
            return []
        target = unpack(wanted)
        same = [row for row in stored if len(row.vector) == len(wanted)]  # a model that changed its size: skip
        if not same:
            return []
        import numpy as np

        scores = np.stack([unpack(row.vector) for row in same]) @ target
        best: dict[int, MeaningMatch] = {}
        for row, score in zip(same, scores.tolist(), strict=True):
            if score >= MIN_SCORE and (row.conversation_id not in best or score > best[row.conversation_id].score):
                best[row.conversation_id] = MeaningMatch(row.conversation_id, row.message_id, float(score))
        return sorted(best.values(), key=lambda match: match.score, reverse=True)

    async def snippet(self, message_id: int) -> str:
        return await self._repository.text_of(message_id)

    async def _count_tokens(self, pending: list[Unembedded], reported: int | None) -> None:
        """The batch's tokens, shared out by each text's estimated share, in the usage of its conversation's user."""
        estimates = [estimate_tokens(item.text) for item in pending]
        total = reported if reported is not None else sum(estimates)
        weight = sum(estimates) or 1
        shares: dict[int, int] = {}
        for item, estimate in zip(pending, estimates, strict=True):
            if item.user_id is not None:
                shares[item.user_id] = shares.get(item.user_id, 0) + round(total * estimate / weight)
        for user_id, tokens in shares.items():
            if tokens:
                await self._limits.add_tokens(user_id, self.model or "", tokens, 0)
