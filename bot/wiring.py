"""The process's services, built once in post_init and kept on `Application.bot_data` (bot/context.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage import ChatKey, DayTotals, Storage
from storage.claims import ClaimRepository
from storage.leases import LeaseRepository, StopRepository, StopRequest
from storage.tasks import TaskRepository

from .config import Settings
from .core.access import AccessPolicy, ExpiringAnswers, StrangerReplies
from .core.balance import BalanceWatch
from .core.cluster import Cluster
from .core.conversation import ConversationService
from .core.forget import ForgetService
from .core.formats import FormatChooser, parse_mapping
from .core.history import HistoryService
from .core.inline import InlineRuns
from .core.limits import DailyLimits
from .core.meaning import MeaningIndex
from .core.media import MediaService
from .core.mj.poller import MjPoller
from .core.mj.service import MidjourneyService
from .core.models import ModelCatalog
from .core.retention import HistoryRetention
from .core.tasks.engine import TaskEngine
from .core.titles import TitleWriter
from .core.tools import CurrentTime, GenerateImage, ToolRegistry
from .core.turn_queue import ChatTurnQueue
from .core.turns import TurnRegistry
from .core.video.service import VideoKind, VideoService
from .metrics import Metrics
from .wenwen import WenwenClient
from .wenwen.balance import BalanceClient
from .wenwen.embeddings import EmbeddingsClient
from .wenwen.media import MediaClient
from .wenwen.mj import MidjourneyClient
from .wenwen.video import VideoClient


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
    media: MediaService
    access: AccessPolicy
    limits: DailyLimits
    balance: BalanceWatch
    history: HistoryService  # /history, /export, /find and the conversation titles
    video: VideoService  # /video, on the task engine
    languages: dict[ChatKey, str] = field(default_factory=dict)  # chats with a language set in /settings
    turn_queue: ChatTurnQueue = field(default_factory=ChatTurnQueue)
    strangers: StrangerReplies = field(default_factory=StrangerReplies)
    no_drafts: set[int] = field(default_factory=set)  # private chats where sendMessageDraft failed: edits there
    group_admins: ExpiringAnswers = field(default_factory=ExpiringAnswers)  # (chat, user) → is a group admin
    albums_answered: ExpiringAnswers = field(default_factory=ExpiringAnswers)  # albums of files already answered
    inline_runs: InlineRuns = field(default_factory=InlineRuns)  # inline answers being written
    metrics: Metrics = field(default_factory=Metrics)  # this process's Prometheus registry (/metrics)
    retention: HistoryRetention = field(init=False)  # HISTORY_RETENTION_DAYS: the daily deletion of idle conversations
    forget: ForgetService = field(init=False)  # /forget
    cluster: Cluster = field(init=False)  # leases, the task-poll leader, updates once, stops across processes

    @classmethod
    async def create(cls, settings: Settings, access: AccessPolicy, metrics: Metrics | None = None) -> Services:
        metrics = metrics or Metrics()  # the app's, which the rate limiter already counts into
        wenwen = WenwenClient(
            settings.wenwen_base_url,
            settings.wenwen_api_key.get_secret_value(),
            connect_timeout=settings.wenwen_connect_timeout,
            read_timeout=settings.wenwen_read_timeout,
            retries=settings.wenwen_retries,
            on_error=lambda error: metrics.gateway_error(error.kind, error.status),
        )
        storage = await Storage.open(settings.database_target())
        await access.load(storage.access)
        limits = DailyLimits(
            storage.usage,
            DayTotals(
                settings.daily_request_limit or 0, settings.daily_token_limit or 0, settings.daily_image_limit or 0
            ),
            access.is_admin,
            metrics=metrics,
        )
        catalog = ModelCatalog(wenwen)
        title_model = settings.title_model or settings.default_model
        titles = TitleWriter(wenwen, storage.history, limits, None if title_model.lower() == "off" else title_model)
        media = MediaService(
            MediaClient(wenwen.http),
            transcribe_model=settings.transcribe_model,
            tts_model=settings.tts_model,
            tts_voice=settings.tts_voice,
            image_model=settings.image_model,
            edit_model=settings.image_edit_model,
            limits=limits,
        )
        conversations = ConversationService(
            wenwen,
            storage,
            default_model=settings.default_model,
            max_context_tokens=settings.max_context_tokens,
            max_answer_tokens=settings.max_answer_tokens,
            vision_model=settings.vision_model,
            image_history_turns=settings.image_history_turns,
            document_max_tokens=settings.document_max_tokens,
            formats=FormatChooser(catalog, parse_mapping(settings.model_formats)),
            tools=ToolRegistry([CurrentTime(), GenerateImage(media)]),
            mcp_servers=tuple(server.server() for server in settings.mcp_servers),
            limits=limits,
            metrics=metrics,
            titles=titles,
        )
        mj_client = MidjourneyClient(wenwen.http)
        poller = MjPoller(
            mj_client,
            storage.mj,
            timeout=settings.mj_task_timeout,
            progress_interval=settings.mj_progress_interval,
            limits=limits,
        )
        services = cls(
            settings,
            wenwen,
            storage,
            conversations,
            catalog,
            TurnRegistry(),
            MidjourneyService(mj_client, storage.mj, poller.engine),
            poller,
            media,
            access,
            limits,
            BalanceWatch(BalanceClient(wenwen.http), storage.state, settings.low_balance_usd),
            HistoryService(
                storage,
                titles,
                MeaningIndex(EmbeddingsClient(wenwen.http), storage.embeddings, limits, settings.embedding_model),
            ),
            _video_service(settings, wenwen, storage, catalog, limits),
            metrics=metrics,
        )
        services.languages.update(await storage.settings.languages())
        services.cluster = _cluster(settings, storage, services.turns)
        if services.cluster.shared:
            services.turn_queue.guard = services.cluster.turn_guard
        services.retention = HistoryRetention(
            storage, settings.history_retention_days, quiet=lambda: services.turns.count == 0
        )
        services.forget = ForgetService(storage, access, services.turns, services.turn_queue, services.languages)
        return services

    async def close(self) -> None:
        await self.turn_queue.close()
        await self.cluster.close()  # its leases released for the other processes
        await self.history.titles.close()  # titles being written are cancelled before their client closes
        await self.wenwen.aclose()
        await self.storage.close()


def _cluster(settings: Settings, storage: Storage, turns: TurnRegistry) -> Cluster:
    """Shared with other processes: PostgreSQL in webhook mode (long polling is one process by Telegram's rule)."""
    cluster = Cluster(
        LeaseRepository(storage.db),
        ClaimRepository(storage.db),
        StopRepository(storage.db),
        shared=bool(settings.database_url and settings.webhook_url),
        seconds=settings.lease_seconds,
    )

    def stop(request: StopRequest) -> bool | None:
        chat = ChatKey(request.chat_id, request.thread_id)
        return turns.stop(chat, request.requested_by, may_stop_any=request.may_stop_any)

    cluster.on_stop = stop
    return cluster


def _video_service(
    settings: Settings, wenwen: WenwenClient, storage: Storage, catalog: ModelCatalog, limits: DailyLimits
) -> VideoService:
    engine = TaskEngine(
        VideoKind(VideoClient(wenwen.http)),
        TaskRepository(storage.db),
        timeout=settings.video_task_timeout,
        progress_interval=settings.mj_progress_interval,  # progress is throttled like Midjourney's
        limits=limits,
    )
    return VideoService(engine, catalog, settings.video_model)
