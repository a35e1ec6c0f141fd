"""Prometheus metrics of one bot process, in a registry this object owns (none in module globals).

Labels are bounded and anonymous: outcomes, models, error kinds, HTTP statuses, Bot API methods, task
states — never a user id, chat id or text. Model names can be typed by users (`/model <name>`), so only
the first MAX_MODELS distinct ones get their own label; later ones are counted as "other".
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

MAX_MODELS = 50
OTHER = "other"
FIRST_TEXT_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 60.0)
TURN_BUCKETS = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class Metrics:
    """Counters the code bumps where things happen; gauges the health server refreshes on each scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._models: set[str] = set()
        r = self.registry
        self.turns = Counter(
            "wenwen_turns", "Chat turns that ended, by outcome and model", ["outcome", "model"], registry=r
        )
        self.first_text = Histogram(
            "wenwen_turn_first_text_seconds",
            "Seconds from a turn's start to its first answer text",
            ["model"],
            buckets=FIRST_TEXT_BUCKETS,
            registry=r,
        )
        self.turn_seconds = Histogram(
            "wenwen_turn_seconds", "Seconds from a turn's start to its end", ["model"], buckets=TURN_BUCKETS, registry=r
        )
        self.gateway_errors = Counter(
            "wenwen_gateway_errors",
            "Failed gateway calls (each attempt), by kind and HTTP status",
            ["kind", "status"],
            registry=r,
        )
        self.telegram_calls = Counter("wenwen_telegram_calls", "Bot API calls made, by method", ["method"], registry=r)
        self.telegram_retry_after = Counter(
            "wenwen_telegram_retry_after", "429 (RetryAfter) answers from Telegram, by method", ["method"], registry=r
        )
        self.limit_refusals = Counter(
            "wenwen_daily_limit_refusals", "Paid calls refused by a daily limit, by limit", ["limit"], registry=r
        )
        self.updates_waiting = Gauge(
            "wenwen_updates_waiting", "Updates received but not yet taken up by the dispatcher", registry=r
        )
        self.updates_in_progress = Gauge(
            "wenwen_updates_in_progress", "Updates being handled or waiting for their chat's turn", registry=r
        )
        self.mj_tasks = Gauge("wenwen_mj_tasks", "Midjourney tasks in the database, by state", ["state"], registry=r)
        self.database_bytes = Gauge("wenwen_database_bytes", "Size of the SQLite files (database and WAL)", registry=r)

    def _model(self, model: str) -> str:
        if model in self._models:
            return model
        if len(self._models) >= MAX_MODELS:
            return OTHER
        self._models.add(model)
        return model

    # ---------------------------------------------------------------- hooks (cheap, never raise)

    def turn(self, outcome: str, model: str, seconds: float, first_text: float | None) -> None:
        label = self._model(model)
        self.turns.labels(outcome=outcome, model=label).inc()
        self.turn_seconds.labels(model=label).observe(seconds)
        if first_text is not None:
            self.first_text.labels(model=label).observe(first_text)

    def gateway_error(self, kind: str, status: int | None) -> None:
        self.gateway_errors.labels(kind=kind, status=str(status) if status else "none").inc()

    def telegram_call(self, method: str) -> None:
        self.telegram_calls.labels(method=method).inc()

    def telegram_throttled(self, method: str) -> None:
        self.telegram_retry_after.labels(method=method).inc()

    def limit_refused(self, limit: str) -> None:
        self.limit_refusals.labels(limit=limit).inc()

    # ---------------------------------------------------------------- scrape time

    def set_live(self, *, waiting: int, in_progress: int, mj_tasks: Mapping[str, int], database_bytes: int) -> None:
        self.updates_waiting.set(waiting)
        self.updates_in_progress.set(in_progress)
        for state, count in mj_tasks.items():
            self.mj_tasks.labels(state=state).set(count)
        self.database_bytes.set(database_bytes)

    def exposition(self) -> bytes:
        """The Prometheus text format of everything in this registry."""
        return generate_latest(self.registry)
