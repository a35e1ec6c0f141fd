"""The health and metrics server (HEALTH_PORT): `GET /healthz` for Docker and uptime checks, `GET /metrics`.

tornado, as the webhook server (bot/webhook.py): a small server on HEALTH_LISTEN (loopback by default),
GET only, tiny bodies, short timeouts and no access log (a check every few seconds is not news).

Healthy means updates can come in (polling running, or the webhook server listening) and the database
takes a write. A quiet bot is healthy: the age of the last handled update is only reported.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import socket
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import tornado.web
from prometheus_client import CONTENT_TYPE_LATEST
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from .context import BotApplication
from .ordering import PerChatUpdateProcessor
from .wiring import Services

log = logging.getLogger(__name__)

DB_PROBE_TIMEOUT = 3.0  # a write that takes longer (a lock held elsewhere) is "not writable"
IDLE_TIMEOUT = 10.0
MAX_BODY = 1024  # GET requests carry no body worth reading


@functools.cache
def package_version() -> str:
    try:
        return version("wenwen-bot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


@dataclass(slots=True)
class HealthProbe:
    """What /healthz and /metrics report, read from the running application and its services."""

    app: BotApplication
    services: Services
    _db_probe: asyncio.Task[None] | None = field(default=None, init=False)

    @property
    def mode(self) -> str:
        return "webhook" if self.services.settings.webhook_url else "polling"

    def _receiving_problem(self) -> str | None:
        if not self.app.running:
            return "the application is not running"
        if self.mode == "webhook":
            server = self.app.bot_data.webhook_server
            return None if server is not None and server.listening else "the webhook server is not listening"
        updater = self.app.updater
        return None if updater is not None and updater.running else "polling is not running"

    async def _database_problem(self) -> str | None:
        # One probe at a time, shielded: a timed-out check must not cancel a write half way (and a slow
        # database must not collect a pile of waiting probes).
        if self._db_probe is None or self._db_probe.done():
            self._db_probe = asyncio.create_task(self.services.storage.db.probe_write(), name="health-db-probe")
        try:
            await asyncio.wait_for(asyncio.shield(self._db_probe), DB_PROBE_TIMEOUT)
        except TimeoutError:
            return f"the database took no write within {DB_PROBE_TIMEOUT:g} s"
        except Exception as error:  # sqlite3.Error, a closed connection: the reason, not a traceback
            return f"the database is not writable: {error}"
        return None

    def last_update_age(self) -> float | None:
        processor = self.app.update_processor
        last = processor.last_handled if isinstance(processor, PerChatUpdateProcessor) else None
        return None if last is None else round(time.monotonic() - last, 1)

    async def health(self) -> tuple[bool, dict[str, Any]]:
        database = await self._database_problem()
        problems = [p for p in (self._receiving_problem(), database) if p]
        body: dict[str, Any] = {
            "status": "unhealthy" if problems else "ok",
            "mode": self.mode,
            "database": "not writable" if database else "writable",
            "last_update_age": self.last_update_age(),
            "version": package_version(),
        }
        if problems:
            body["problems"] = problems
        return not problems, body

    async def close(self) -> None:
        """Let a probe still under way finish (it is bounded by SQLite's busy timeout)."""
        if self._db_probe is not None and not self._db_probe.done():
            await asyncio.wait([self._db_probe])

    async def metrics(self) -> bytes:
        """The exposition, with the gauges that are read at scrape time brought up to date first."""
        services = self.services
        counts = await services.storage.mj.count_by_status()
        services.metrics.set_live(
            waiting=self.app.update_queue.qsize(),
            in_progress=self.app.update_processor.current_concurrent_updates,
            mj_tasks={str(state): count for state, count in counts.items()},
            database_bytes=database_bytes(services.settings.database_path),
        )
        return services.metrics.exposition()


def database_bytes(path: Path) -> int:
    """The database file and its WAL, as they take disk space now (0 for an in-memory database)."""
    total = 0
    for file in (path, path.with_name(path.name + "-wal")):
        try:
            total += file.stat().st_size
        except OSError:
            continue
    return total


class _Handler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET",)

    def initialize(self, probe: HealthProbe) -> None:
        self.probe = probe

    def set_default_headers(self) -> None:
        self.clear_header("Server")
        self.set_header("Cache-Control", "no-store")


class _Healthz(_Handler):
    async def get(self) -> None:
        healthy, body = await self.probe.health()
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


class _Metrics(_Handler):
    async def get(self) -> None:
        try:
            exposition = await self.probe.metrics()
        except Exception as error:  # the database is gone: say so, without a traceback per scrape
            log.warning("metrics: could not be gathered: %s", error)
            self.send_error(503)
            return
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(exposition)


class _Routes(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """No access log: Docker asks every 30 s, Prometheus every 15."""


class HealthServer:
    """Listens on ``listen:port`` for `GET /healthz` and `GET /metrics`."""

    def __init__(self, probe: HealthProbe, *, listen: str, port: int) -> None:
        self._probe = probe
        self._listen, self._port = listen, port
        self._routes = _Routes([(r"/healthz", _Healthz, {"probe": probe}), (r"/metrics", _Metrics, {"probe": probe})])
        self._server: HTTPServer | None = None
        self._sockets: list[socket.socket] = []

    @property
    def port(self) -> int:
        return int(self._sockets[0].getsockname()[1]) if self._sockets else self._port

    async def start(self) -> None:
        try:
            self._sockets = bind_sockets(self._port, address=self._listen)
        except OSError as error:  # the port is taken: say whose port it is
            raise OSError(
                error.errno, f"the health server cannot listen on {self._listen}:{self._port}: {error.strerror}"
            ) from None
        self._server = HTTPServer(
            self._routes, max_body_size=MAX_BODY, idle_connection_timeout=IDLE_TIMEOUT, body_timeout=IDLE_TIMEOUT
        )
        self._server.add_sockets(self._sockets)
        log.info("health server listening on %s:%d (/healthz, /metrics)", self._listen, self.port)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        await server.close_all_connections()
        self._sockets = []
        await self._probe.close()


async def start_health_server(app: BotApplication, services: Services) -> HealthServer | None:
    """The server when HEALTH_PORT is set (kept in `bot_data` for `stop_health_server`), else None."""
    settings = services.settings
    if settings.health_port is None:
        return None
    server = HealthServer(HealthProbe(app, services), listen=settings.health_listen, port=settings.health_port)
    await server.start()
    app.bot_data.health_server = server
    return server


async def stop_health_server(app: BotApplication) -> None:
    server, app.bot_data.health_server = app.bot_data.health_server, None
    if server is not None:
        await server.stop()
