"""Builds the python-telegram-bot Application: wiring and lifecycle, nothing else."""

from __future__ import annotations

import logging
import time
from functools import partial

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationBuilder, ExtBot, JobQueue

from .config import Settings
from .context import CONTEXT_TYPES, BotApplication, BotContext
from .core.access import AccessPolicy
from .handlers import COMMANDS, register
from .handlers.balance import CHECK_INTERVAL, low_balance_job
from .handlers.history import EMBEDDING_INTERVAL, embedding_job
from .handlers.mj_jobs import poll_tick
from .handlers.photos import answer_waiting_albums
from .handlers.recovery import recover_job
from .handlers.replicas import CLAIMS_INTERVAL, ORPHAN_INTERVAL, forget_claims_job, orphan_job, when_leading
from .handlers.retention import RETENTION_FIRST, RETENTION_INTERVAL, retention_job
from .handlers.video import video_tick
from .health import start_health_server, stop_health_server
from .i18n import LANGUAGES, t
from .logging_setup import quiet_libraries
from .metrics import Metrics
from .ratelimit import FairRateLimiter
from .replicas import SharedUpdateProcessor, shared_windows
from .telegram_http import AiohttpRequest
from .wiring import Services

log = logging.getLogger(__name__)

# Recovery after a crash waits this long, so the updates Telegram redelivers (messages sent while the bot
# was down) are stored first: a question the user has moved past is then seen as passed.
RECOVERY_DELAY = 3.0

# Asked for explicitly in both modes, so polling and webhook receive the same kinds of update.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.CHOSEN_INLINE_RESULT,
    Update.MY_CHAT_MEMBER,
]


def build_application(settings: Settings) -> BotApplication:
    quiet_libraries()
    access = AccessPolicy(settings.allowed_user_ids, settings.admin_user_ids)  # stored grants load in post_init
    root = settings.telegram_api_url
    metrics = Metrics()  # made here: the rate limiter counts Telegram calls before Services exist
    # in order per chat; with several processes (post_init attaches the cluster) across them, each update once
    processor = SharedUpdateProcessor(admits=access.allows)
    # REPLICAS processes: each takes its share of the bot-wide budgets (README, "Several processes")
    bot_window, group_window = shared_windows(settings.replicas)
    limiter = FairRateLimiter(global_window=bot_window, group_window=group_window, max_retries=2, metrics=metrics)
    app = (
        ApplicationBuilder()
        .context_types(CONTEXT_TYPES)
        .job_queue(JobQueue[BotContext]())  # what PTB makes by default, typed with our context
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{root}/bot{{token}}")
        .base_file_url(f"{root}/file/bot{{token}}")
        .rate_limiter(limiter)
        .concurrent_updates(processor)
        # aiohttp rather than PTB's httpx: a fraction of the CPU a call (bot/telegram_http.py)
        .request(AiohttpRequest(connect_timeout=10, read_timeout=30, write_timeout=30))
        .get_updates_request(AiohttpRequest(connection_pool_size=2, connect_timeout=10, read_timeout=40))
        .post_init(partial(_post_init, settings=settings, access=access, metrics=metrics, processor=processor))
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    register(app)
    return app


async def _post_init(
    app: BotApplication, *, settings: Settings, access: AccessPolicy, metrics: Metrics, processor: SharedUpdateProcessor
) -> None:
    services = await Services.create(settings, access, metrics)
    app.bot_data.set_services(services)
    if settings.database_url and not settings.webhook_url:
        await services.cluster.take_poller()  # AnotherPoller: Telegram hands updates to one poller only
    await services.cluster.start()
    processor.attach(services.cluster)
    await start_health_server(app, services)  # HEALTH_PORT set: /healthz and /metrics from now on
    services.catalog.refresh_soon()  # the model list is on hand before the first turn needs it
    # Tasks are the leader's: a process that starts beside a live leader (a rolling restart) must not take
    # the leader's submits for a crash's leftovers. A process that takes the lead later resumes them then.
    if services.cluster.leads():
        await _resume_tasks(services)

    def resume_on_lead() -> None:
        app.create_task(_resume_tasks(services), name="resume-tasks")

    services.cluster.on_lead = resume_on_lead
    # Slow start-up work runs in the background: polling starts at once.
    assert app.job_queue is not None
    app.job_queue.run_once(_register_commands_job, 0, name="register-commands")
    # data: when this process began taking updates; what it wrote since is its own live work, not a crash's
    app.job_queue.run_once(recover_job, RECOVERY_DELAY, data=time.time(), name="recover-answers")
    if settings.low_balance_usd is not None:
        app.job_queue.run_repeating(
            when_leading(low_balance_job), interval=CHECK_INTERVAL, first=60, name="low-balance"
        )
    if settings.history_retention_days is not None:
        app.job_queue.run_repeating(
            when_leading(retention_job), interval=RETENTION_INTERVAL, first=RETENTION_FIRST, name="history-retention"
        )
    if settings.embedding_model:
        app.job_queue.run_repeating(
            when_leading(embedding_job), interval=EMBEDDING_INTERVAL, first=EMBEDDING_INTERVAL, name="embed"
        )
    # several processes: only the leader polls the tasks (the others skip the ticks)
    app.job_queue.run_repeating(
        when_leading(poll_tick), interval=settings.mj_poll_interval, first=settings.mj_poll_interval, name="mj-poll"
    )
    app.job_queue.run_repeating(
        when_leading(video_tick),
        interval=settings.video_poll_interval,
        first=settings.video_poll_interval,
        name="video-poll",
    )
    if services.cluster.shared:
        app.job_queue.run_repeating(orphan_job, interval=ORPHAN_INTERVAL, first=ORPHAN_INTERVAL, name="orphans")
        app.job_queue.run_repeating(forget_claims_job, interval=CLAIMS_INTERVAL, first=60, name="forget-claims")


async def _resume_tasks(services: Services) -> None:
    """Midjourney and video tasks a stopped (or dead) leader left: polled, delivered, or told fate-unknown."""
    resumed = await services.mj_poller.recover()
    if resumed:
        log.info("resuming %d unfinished Midjourney task(s)", resumed)
    videos = await services.video.engine.recover()
    if videos:
        log.info("resuming %d unfinished video task(s)", videos)


async def _post_stop(app: BotApplication) -> None:
    """Updates have stopped coming: answers being written get SHUTDOWN_GRACE seconds, then end as partial."""
    if not app.bot_data.started:
        return
    svc = app.bot_data.services
    # album parts already taken (and confirmed) whose window had not closed: answered now, not dropped
    albums = await answer_waiting_albums(BotContext(app))
    if albums:
        log.info("%d album(s) still waiting for parts were answered at the stop", albums)
    cut = await svc.turn_queue.finish(svc.settings.shutdown_grace, svc.turns.interrupt_all)
    if cut:
        log.info("%d answer(s) still being written were closed as partial for the restart", cut)


async def _post_shutdown(app: BotApplication) -> None:
    await stop_health_server(app)  # before the database it checks is closed
    if app.bot_data.started:
        await app.bot_data.services.close()


async def _register_commands_job(context: BotContext) -> None:
    await register_commands(context.bot)


async def register_commands(bot: ExtBot[str]) -> None:
    """The command menu in English (default) and Chinese, for private chats and groups."""
    try:
        for lang in LANGUAGES:
            commands = [BotCommand(name, t(lang, f"cmd.{name}")) for name in COMMANDS]
            code = None if lang == "en" else lang
            for scope in (BotCommandScopeAllPrivateChats(), BotCommandScopeAllGroupChats()):
                await bot.set_my_commands(commands, scope=scope, language_code=code)
    except (TimeoutError, TelegramError) as error:
        log.warning("could not register the command menu: %s", error)
