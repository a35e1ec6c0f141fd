"""Storage: SQLite (aiosqlite) or PostgreSQL (asyncpg, `DATABASE_URL`), migrations, one repository per table group.

Imports nothing of Telegram or HTTP.
"""

from dataclasses import dataclass
from pathlib import Path

from .access import AccessEntry, AccessRepository, AccessState, BotStateRepository
from .conversations import ConversationRepository
from .db import Database, SchemaTooNew, SqliteDatabase
from .embeddings import EmbeddingRepository
from .erasure import ErasureRepository, Forgotten
from .history import ConversationSummary, ExportRow, HistoryRepository, TextMatch
from .mj import MjButtonRow, MjStatus, MjTaskRepository, MjTaskRow
from .models import NO_ANSWER, ChatKey, ChatSettings, MessageStatus, StoredDocument, StoredMessage, Unfinished
from .settings import ChatSettingsRepository
from .usage import NO_LIMIT, DayTotals, LimitName, Reservation, UsageRepository, UsageRow, UserLimits


@dataclass(frozen=True, slots=True)
class Storage:
    """The repositories over one database, handed to `core`."""

    db: Database
    conversations: ConversationRepository
    settings: ChatSettingsRepository
    usage: UsageRepository
    mj: MjTaskRepository
    access: AccessRepository
    state: BotStateRepository
    history: HistoryRepository
    embeddings: EmbeddingRepository
    erasure: ErasureRepository  # retention and /forget

    @classmethod
    async def open(cls, target: Path | str) -> "Storage":
        """SQLite at a path, or PostgreSQL for a `postgresql://` URL (`Database.open`)."""
        db = await Database.open(target)
        return cls(
            db,
            ConversationRepository(db),
            ChatSettingsRepository(db),
            UsageRepository(db),
            MjTaskRepository(db),
            AccessRepository(db),
            BotStateRepository(db),
            HistoryRepository(db),
            EmbeddingRepository(db),
            ErasureRepository(db),
        )

    async def close(self) -> None:
        await self.db.close()


__all__ = [
    "NO_ANSWER",
    "NO_LIMIT",
    "AccessEntry",
    "AccessRepository",
    "AccessState",
    "BotStateRepository",
    "ChatKey",
    "ChatSettings",
    "ChatSettingsRepository",
    "ConversationRepository",
    "ConversationSummary",
    "Database",
    "DayTotals",
    "EmbeddingRepository",
    "ErasureRepository",
    "ExportRow",
    "Forgotten",
    "HistoryRepository",
    "LimitName",
    "MessageStatus",
    "MjButtonRow",
    "MjStatus",
    "MjTaskRepository",
    "MjTaskRow",
    "Reservation",
    "SchemaTooNew",
    "SqliteDatabase",
    "Storage",
    "StoredDocument",
    "StoredMessage",
    "TextMatch",
    "Unfinished",
    "UsageRepository",
    "UsageRow",
    "UserLimits",
]
