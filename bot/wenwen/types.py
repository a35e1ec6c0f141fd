"""Wire types of the gateway (pydantic) and the events the client yields."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# ---------------------------------------------------------------- wire: /v1/models


class ModelInfo(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    owned_by: str | None = None
    supported_endpoint_types: list[str] | None = None


class ModelList(BaseModel):
    model_config = ConfigDict(extra="ignore")

    data: list[ModelInfo] = Field(default_factory=list)


# ---------------------------------------------------------------- wire: chat completions


class Usage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChunkDelta(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str | None = None
    content: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None


class ChunkChoice(BaseModel):
    model_config = ConfigDict(extra="ignore")

    index: int = 0
    delta: ChunkDelta = Field(default_factory=ChunkDelta)
    finish_reason: str | None = None


class ChatChunk(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    model: str | None = None
    choices: list[ChunkChoice] = Field(default_factory=list)
    usage: Usage | None = None


class CompletionMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str = "assistant"
    content: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None


class CompletionChoice(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: CompletionMessage = Field(default_factory=CompletionMessage)
    finish_reason: str | None = None


class ChatCompletion(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    model: str | None = None
    choices: list[CompletionChoice] = Field(default_factory=list)
    usage: Usage | None = None


# ---------------------------------------------------------------- requests

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it

    def parsed_arguments(self) -> dict[str, Any]:
        try:
            value = json.loads(self.arguments or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message in the chat-completions shape; the other formats are converted from it.

    `content` is text, or parts `{"type":"text"}` / `{"type":"image_url"}` (data URLs). An assistant
    message may carry tool calls; a `tool` message answers one (`tool_call_id`).
    """

    role: Role
    content: str | list[dict[str, Any]]
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            wire["content"] = self.content or None
            wire["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in self.tool_calls
            ]
        if self.tool_call_id is not None:
            wire["tool_call_id"] = self.tool_call_id
        return wire


ApiFormat = Literal["chat", "responses", "messages"]


@dataclass(frozen=True, slots=True)
class McpServer:
    """A remote MCP server Anthropic models may call; its token is a secret (never in a repr or a log)."""

    name: str
    url: str
    authorization_token: str | None = field(default=None, repr=False)

    def to_wire(self) -> dict[str, str]:
        wire = {"type": "url", "name": self.name, "url": self.url}
        if self.authorization_token:
            wire["authorization_token"] = self.authorization_token
        return wire


@dataclass(frozen=True, slots=True)
class ChatRequest:
    model: str
    messages: list[ChatMessage]
    max_tokens: int | None = None
    extra: dict[str, Any] | None = None
    api_format: ApiFormat = "chat"
    tools: tuple[ToolSpec, ...] = ()
    reasoning_effort: str | None = None  # OpenAI formats: low|medium|high
    thinking_budget: int | None = None  # Anthropic: thinking.budget_tokens
    web_search: bool = False  # Responses: the web_search tool; chat completions: web_search_options
    mcp_servers: tuple[McpServer, ...] = ()  # Anthropic only

    def to_wire(self, *, stream: bool) -> dict[str, Any]:
        """The chat-completions body."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.to_wire() for m in self.messages],
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        if self.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
                }
                for t in self.tools
            ]
        if self.reasoning_effort:
            body["reasoning_effort"] = self.reasoning_effort
        if self.web_search:  # the *-search-preview models (wenwen's "web search (chat)")
            body["web_search_options"] = {}
        if self.extra:
            body.update(self.extra)
        return body


# ---------------------------------------------------------------- events yielded to core


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class UsageReport:
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True, slots=True)
class Finish:
    reason: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCallRequested:
    """The model asks the bot to run a tool (all arguments received)."""

    call: ToolCall


@dataclass(frozen=True, slots=True)
class Citation:
    url: str
    title: str


@dataclass(frozen=True, slots=True)
class ServerToolActivity:
    """A tool the gateway's side ran (web search, a remote MCP server): shown, not run by the bot."""

    name: str
    detail: str


StreamEvent = TextDelta | ReasoningDelta | UsageReport | Finish | ToolCallRequested | Citation | ServerToolActivity
