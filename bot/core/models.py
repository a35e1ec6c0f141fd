"""The gateway's model list, cached, filtered to the models one can chat with."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time

from bot.wenwen import ModelInfo, WenwenClient, WenwenError

# Models the gateway lists that are not chat models (Midjourney, audio, images, embeddings…).
_NOT_CHAT = re.compile(
    r"^(mj_|swap_face|suno|whisper|tts-|.*-tts|.*transcribe|dall-e|gpt-image|text-embedding|embedding|.*rerank|.*moderation|"
    r"sora|veo|kling|midjourney)",
    re.IGNORECASE,
)
_NOT_CHAT_ENDPOINTS = {"image-generation", "embeddings", "jina-rerank", "openai-video"}


# Reasoning-only models that reject the `tools` field (a refusal is also retried without tools).
_NO_TOOLS = re.compile(r"(reasoner|deepseek-r1|qwq|o1-mini|o1-preview|-thinking$|search)", re.IGNORECASE)


def searches_in_chat(model: str) -> bool:
    """Models that search the web from chat completions (`web_search_options`), e.g. gpt-4o-search-preview."""
    return "search-preview" in model.lower()


def calls_tools(model: str) -> bool:
    return not _NO_TOOLS.search(model)


def is_chat_model(model: ModelInfo) -> bool:
    if _NOT_CHAT.match(model.id):
        return False
    endpoints = set(model.supported_endpoint_types or [])
    return not endpoints or bool(endpoints - _NOT_CHAT_ENDPOINTS)


class ModelCatalog:
    """`GET /v1/models`, cached for `ttl` seconds; concurrent callers share one request."""

    def __init__(self, client: WenwenClient, ttl: float = 300.0, failure_ttl: float = 60.0) -> None:
        self._client = client
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._models: list[ModelInfo] = []
        self._fetched_at = float("-inf")
        self._failure: tuple[float, WenwenError] | None = None
        self._lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()

    async def _refresh(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if now - self._fetched_at <= self._ttl:
                return
            # A failing model list must not slow every turn down (format choice asks it each turn).
            if self._failure is not None and now - self._failure[0] < self._failure_ttl:
                raise self._failure[1]
            try:
                self._models = await self._client.list_models()
            except WenwenError as error:
                self._failure = (now, error)
                raise
            self._fetched_at = time.monotonic()
            self._failure = None

    async def chat_models(self) -> list[str]:
        await self._refresh()
        return sorted({m.id for m in self._models if is_chat_model(m)})

    async def search_models(self) -> list[str]:
        """Chat models that can search the web: served in the Responses format, or *-search-preview."""
        await self._refresh()
        return sorted(
            m.id
            for m in self._models
            if is_chat_model(m) and ("openai-response" in (m.supported_endpoint_types or []) or searches_in_chat(m.id))
        )

    async def video_models(self) -> list[str]:
        """Models the gateway serves for video (`supported_endpoint_types` containing `openai-video`)."""
        await self._refresh()
        return sorted(m.id for m in self._models if "openai-video" in (m.supported_endpoint_types or []))

    async def endpoint_types(self, model: str) -> set[str]:
        """The formats the gateway says it serves the model in (empty when it does not say)."""
        await self._refresh()
        return self._endpoints_of(model)

    def known_endpoint_types(self, model: str) -> set[str]:
        """The same from what is cached, never waiting for the gateway (a turn must not wait for the list).

        A list older than its ttl is refreshed in the background for the next turn."""
        if time.monotonic() - self._fetched_at > self._ttl and not self._lock.locked():
            self.refresh_soon()
        return self._endpoints_of(model)

    def refresh_soon(self) -> None:
        """Fetch the list in the background (at start-up, and when a turn sees it stale)."""
        task = asyncio.create_task(self._refresh_quietly(), name="model-list")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _refresh_quietly(self) -> None:
        with contextlib.suppress(WenwenError):
            await self._refresh()

    def _endpoints_of(self, model: str) -> set[str]:
        found = next((m for m in self._models if m.id == model), None)
        return set(found.supported_endpoint_types or []) if found else set()
