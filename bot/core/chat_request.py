"""A turn's request to the gateway: the model's format, with the chat's thinking, web search and tools."""

from __future__ import annotations

from bot.wenwen import ChatMessage, ChatRequest, McpServer
from bot.wenwen.types import ApiFormat
from storage import ChatSettings

from .formats import FormatChooser
from .models import calls_tools, searches_in_chat
from .tools import ToolRegistry

THINKING_BUDGETS = {"low": 1024, "medium": 4096, "high": 16384}


class RequestBuilder:
    """What every request of the process shares (format chooser, tools, MCP servers, answer cap)."""

    def __init__(
        self,
        formats: FormatChooser | None,
        tools: ToolRegistry,
        mcp_servers: tuple[McpServer, ...],
        max_answer_tokens: int | None,
    ) -> None:
        self._formats = formats
        self._tools = tools
        self._mcp_servers = mcp_servers
        self._max_answer_tokens = max_answer_tokens

    async def build(self, model: str, settings: ChatSettings, messages: list[ChatMessage]) -> ChatRequest:
        """The request in the model's format, with the chat's thinking, web search and tools."""
        api_format: ApiFormat = "chat"
        if self._formats is not None:
            api_format = await self._formats.choose(model, settings.api_format, web_search=settings.web_search)
        thinking = settings.thinking
        budget = THINKING_BUDGETS.get(settings.thinking_level) if thinking and api_format == "messages" else None
        return ChatRequest(
            model,
            messages,
            max_tokens=self._max_answer_tokens,
            api_format=api_format,
            tools=self._tools.specs() if settings.tools and calls_tools(model) else (),
            reasoning_effort=settings.thinking_level if thinking and api_format != "messages" else None,
            thinking_budget=budget,
            web_search=settings.web_search
            and (api_format == "responses" or (api_format == "chat" and searches_in_chat(model))),
            mcp_servers=self._mcp_servers if api_format == "messages" else (),
        )

    async def search_models(self) -> list[str]:
        """The models that can search the web (told when the chat's model cannot)."""
        return await self._formats.search_models() if self._formats is not None else []
