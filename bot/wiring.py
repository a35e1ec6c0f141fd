"""The process's services, built once and hung on `Application.bot_data`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import Storage

from .config import Settings
from .core.conversation import ConversationService
from .core.mj.poller import MjPoller
from .core.mj.service import MidjourneyService
from .core.models import ModelCatalog
from .core.turns import TurnRegistry
from .wenwen import WenwenClient
from .wenwen.mj import MidjourneyClient

SERVICES_KEY = "services"


@dataclass(slots=True)
class Services:
    settings: Settings
    wenwen: WenwenClient
    storage: Storage
    conversations: ConversationService
    catalog: ModelCatalog
    turns: TurnRegistry
    mj: MidjourneyService
    mj_poller: MjPoller

    @classmethod
    async def create(cls, settings: Settings) -> Services:
        wenwen = WenwenClient(
            settings.wenwen_base_url,
            settings.wenwen_api_key.get_secret_value(),
            connect_timeout=settings.wenwen_connect_timeout,
            read_timeout=settings.wenwen_read_timeout,
            retries=settings.wenwen_retries,
        )
        storage = await Storage.open(settings.database_path)
        conversations = ConversationService(
            wenwen,
            storage,
            default_model=settings.default_model,
            max_context_tokens=settings.max_context_tokens,
            max_answer_tokens=settings.max_answer_tokens,
        )
        mj_client = MidjourneyClient(wenwen.http)
        poller = MjPoller(
            mj_client,
            storage.mj,
            timeout=settings.mj_task_timeout,
            progress_interval=settings.mj_progress_interval,
        )
        return cls(
            settings,
            wenwen,
            storage,
            conversations,
            ModelCatalog(wenwen),
            TurnRegistry(),
            MidjourneyService(mj_client, storage.mj),
            poller,
        )

    async def close(self) -> None:
        await self.wenwen.aclose()
        await self.storage.close()


def services_of(bot_data: dict[str, Any]) -> Services:
    services = bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    return services
