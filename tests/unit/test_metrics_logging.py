"""bot/metrics.py (a registry per Metrics, bounded labels) and the JSON log format."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.logging_setup import JsonFormatter, RedactingFilter
from bot.metrics import MAX_MODELS, OTHER, Metrics

SECRET = "sk-very-secret-key"


def test_each_metrics_object_has_its_own_registry() -> None:
    one, two = Metrics(), Metrics()  # would raise "Duplicated timeseries" in a shared registry
    one.turn("ok", "m", 1.0, 0.5)
    assert b"wenwen_turns_total" in one.exposition()
    assert 'outcome="ok"' not in two.exposition().decode()


def test_model_labels_are_bounded_when_users_type_model_names() -> None:
    metrics = Metrics()
    for number in range(MAX_MODELS + 20):
        metrics.turn("ok", f"model-{number}", 1.0, None)
    metrics.turn("ok", "model-0", 1.0, None)  # a known one keeps its label
    families = {f.name: f for f in text_string_to_metric_families(metrics.exposition().decode())}
    counted = {s.labels["model"]: s.value for s in families["wenwen_turns"].samples if s.name.endswith("_total")}
    assert len(counted) == MAX_MODELS + 1
    assert counted[OTHER] == 20 and counted["model-0"] == 2


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    redacting = RedactingFilter([SECRET])
    handler.setFormatter(JsonFormatter(redacting.redact))
    handler.addFilter(redacting)
    logger = logging.getLogger("test.json")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def test_json_lines_carry_extra_fields_and_never_a_secret(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    logger.warning("called %s with %s", "https://x.test/bot123:ABC/getMe", SECRET, extra={"chat": 5, "model": "m"})
    try:
        raise RuntimeError(f"failed with {SECRET}\nsecond line")
    except RuntimeError:
        logger.exception("it broke", extra={"detail": f"key={SECRET}"})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2  # a traceback stays inside its line
    first, second = (json.loads(line) for line in lines)
    assert {"time", "level", "logger", "message"} <= first.keys()
    assert (first["level"], first["logger"], first["chat"], first["model"]) == ("WARNING", "test.json", 5, "m")
    assert first["message"] == "called https://x.test/bot<redacted>/getMe with <redacted>"
    assert "RuntimeError" in second["exception"] and second["detail"] == "key=<redacted>"
    assert SECRET not in stream.getvalue()
