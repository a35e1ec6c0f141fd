"""SQLite storage (aiosqlite): connection, migrations, one repository per table group.

Imports nothing of Telegram or HTTP.
"""

from dataclasses import dataclass
from pathlib import Path

from .conversations import ConversationRepository
from .db import Database
from .mj import MjButtonRow, MjStatus, MjTaskRepository, MjTaskRow
from .models import NO_ANSWER, ChatKey, ChatSettings, MessageStatus, StoredMessage, Unfinished
from .settings import ChatSettingsRepository
from .usage import UsageRepository, UsageRow


@dataclass(frozen=True, slots=True)
class Storage:
    """The repositories over one database, handed to `core`."""

    db: Database
    conversations: ConversationRepository
    settings: ChatSettingsRepository
    usage: UsageRepository
    mj: MjTaskRepository

    @classmethod
    async def open(cls, path: Path | str) -> "Storage":
        db = await Database.open(path)
        return cls(
            db, ConversationRepository(db), ChatSettingsRepository(db), UsageRepository(db), MjTaskRepository(db)
        )

    async def close(self) -> None:
        await self.db.close()


__all__ = [
    "NO_ANSWER",
    "ChatKey",
    "ChatSettings",
    "ChatSettingsRepository",
    "ConversationRepository",
    "Database",
    "MessageStatus",
    "MjButtonRow",
    "MjStatus",
    "MjTaskRepository",
    "MjTaskRow",
    "Storage",
    "StoredMessage",
    "Unfinished",
    "UsageRepository",
    "UsageRow",
]
