"""Which chat format a model is spoken to in: chat completions, responses or Anthropic messages."""

from __future__ import annotations

import fnmatch
import logging

from bot.wenwen import WenwenError
from bot.wenwen.types import ApiFormat

from .models import ModelCatalog

log = logging.getLogger(__name__)

FORMATS: tuple[ApiFormat, ...] = ("chat", "responses", "messages")


def parse_mapping(text: str) -> list[tuple[str, ApiFormat]]:
    """`claude-*=messages,gpt-4.1*=responses` → ordered (pattern, format) pairs."""
    pairs: list[tuple[str, ApiFormat]] = []
    for item in text.split(","):
        pattern, _, name = item.partition("=")
        name = name.strip().lower()
        if pattern.strip() and name in FORMATS:
            pairs.append((pattern.strip().lower(), name))
    return pairs


class FormatChooser:
    """The chat's override, then MODEL_FORMATS, then the gateway's supported_endpoint_types, then chat."""

    def __init__(self, catalog: ModelCatalog, mapping: list[tuple[str, ApiFormat]]) -> None:
        self._catalog = catalog
        self._mapping = mapping

    async def search_models(self) -> list[str]:
        try:
            return await self._catalog.search_models()
        except WenwenError:
            return []

    async def choose(self, model: str, override: str | None, *, web_search: bool) -> ApiFormat:
        if override in FORMATS:
            return override
        name = model.lower()
        for pattern, api_format in self._mapping:
            if fnmatch.fnmatchcase(name, pattern):
                return api_format
        endpoints = self._catalog.known_endpoint_types(model)  # never waits: the list is fetched in the background
        if "anthropic" in endpoints:
            return "messages"
        if "openai-response" in endpoints and (web_search or "openai" not in endpoints):
            return "responses"  # web search exists only in the Responses format
        return "chat"
