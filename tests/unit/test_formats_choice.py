"""bot/core/formats.py: which chat format a model is spoken to in, and MODEL_FORMATS parsing."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.formats import FORMATS, FormatChooser, parse_mapping
from bot.wenwen import WenwenError
from bot.wenwen.errors import WenwenNetworkError


class StubCatalog:
    """Stands in for ModelCatalog: endpoint types per model, or an error."""

    def __init__(self, endpoints: dict[str, set[str]] | None = None, error: Exception | None = None) -> None:
        self.endpoints = endpoints or {}
        self.error = error
        self.asked: list[str] = []

    def known_endpoint_types(self, model: str) -> set[str]:
        """Like ModelCatalog's: never waits; a list the gateway could not give is simply not known."""
        self.asked.append(model)
        if isinstance(self.error, WenwenError):
            return set()
        if self.error is not None:
            raise self.error
        return set(self.endpoints.get(model, set()))


def chooser(mapping: str = "", **endpoints: set[str]) -> tuple[FormatChooser, StubCatalog]:
    catalog = StubCatalog({name.replace("_", "-"): types for name, types in endpoints.items()})
    return FormatChooser(catalog, parse_mapping(mapping)), catalog  # type: ignore[arg-type]


# ---------------------------------------------------------------- choose


@pytest.mark.parametrize("override", FORMATS)
async def test_override_wins_over_mapping_and_catalog(override: Any) -> None:
    choose, catalog = chooser("claude-*=messages", claude_x={"anthropic"})
    assert await choose.choose("claude-x", override, web_search=True) == override
    assert catalog.asked == []


@pytest.mark.parametrize("override", [None, "", "auto", "CHAT"])
async def test_unknown_override_is_ignored(override: str | None) -> None:
    choose, _ = chooser(claude_x={"anthropic"})
    assert await choose.choose("claude-x", override, web_search=False) == "messages"


async def test_first_matching_pattern_wins_case_insensitively_before_the_catalog() -> None:
    choose, catalog = chooser("gpt-4.1*=responses, GPT-*=chat, claude-*=messages", gpt_4_1_mini={"openai"})
    assert await choose.choose("GPT-4.1-mini", None, web_search=False) == "responses"
    assert await choose.choose("gpt-4o", None, web_search=True) == "chat"
    assert await choose.choose("claude-opus", None, web_search=False) == "messages"
    assert catalog.asked == []


async def test_pattern_must_match_the_whole_name() -> None:
    choose, catalog = chooser("claude=messages")
    assert await choose.choose("claude-3", None, web_search=False) == "chat"
    assert catalog.asked == ["claude-3"]


@pytest.mark.parametrize(
    ("endpoints", "web_search", "expected"),
    [
        ({"anthropic"}, False, "messages"),
        ({"anthropic", "openai"}, False, "messages"),
        ({"anthropic", "openai", "openai-response"}, True, "messages"),
        ({"openai-response"}, False, "responses"),
        ({"openai-response"}, True, "responses"),
        ({"openai", "openai-response"}, False, "chat"),
        ({"openai", "openai-response"}, True, "responses"),  # web search exists only in Responses
        ({"openai"}, True, "chat"),
        ({"openai"}, False, "chat"),
        ({"gemini"}, False, "chat"),
        (set(), True, "chat"),  # unknown model
    ],
)
async def test_catalog_endpoint_types(endpoints: set[str], web_search: bool, expected: str) -> None:
    choose, catalog = chooser(model_x=endpoints)
    assert await choose.choose("model-x", None, web_search=web_search) == expected
    assert catalog.asked == ["model-x"]


async def test_catalog_is_asked_with_the_original_case() -> None:
    catalog = StubCatalog({"Claude-X": {"anthropic"}})
    choose = FormatChooser(catalog, [])  # type: ignore[arg-type]
    assert await choose.choose("Claude-X", None, web_search=False) == "messages"


@pytest.mark.parametrize("error", [WenwenError("down", status=503), WenwenNetworkError("no route")])
async def test_catalog_failure_falls_back_to_chat(error: WenwenError) -> None:
    catalog = StubCatalog(error=error)
    choose = FormatChooser(catalog, [])  # type: ignore[arg-type]
    assert await choose.choose("gpt-4.1", None, web_search=True) == "chat"


async def test_other_catalog_errors_are_not_swallowed() -> None:
    choose = FormatChooser(StubCatalog(error=RuntimeError("bug")), [])  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        await choose.choose("gpt-4.1", None, web_search=False)


# ---------------------------------------------------------------- parse_mapping


def test_parse_mapping_keeps_order_and_normalises() -> None:
    assert parse_mapping(" Claude-* = Messages ,gpt-4.1*=responses,o3=CHAT") == [
        ("claude-*", "messages"),
        ("gpt-4.1*", "responses"),
        ("o3", "chat"),
    ]


@pytest.mark.parametrize(
    "junk",
    ["", " ", ",,,", "claude-*", "claude-*=", "=messages", " =chat", "x=gemini", "x=>messages", "x:responses"],
)
def test_parse_mapping_ignores_junk(junk: str) -> None:
    assert parse_mapping(junk) == []


def test_parse_mapping_skips_junk_between_good_pairs() -> None:
    text = "a*=chat, nonsense ,b*=unknown,=responses,c*=messages"
    assert parse_mapping(text) == [("a*", "chat"), ("c*", "messages")]


def test_parse_mapping_splits_only_at_the_first_equals_sign() -> None:
    # "x=y=chat": pattern "x", format "y=chat" → not a format
    assert parse_mapping("x=y=chat") == []
