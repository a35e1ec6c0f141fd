"""The tool interface: a class with typed arguments and an async `run` (n3d1117's plugin idea, typed).

A tool's arguments are a pydantic model: its JSON schema is what the model is shown, and what the
model sends is validated against it before the tool runs (enums are enums, unknown fields are
dropped, nothing is parsed out of a string).
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.wenwen import ToolCall, ToolSpec

from ..limits import DailyLimitReached

log = logging.getLogger(__name__)

MAX_TOOL_CALLS = 8  # per user message, all tools together
MAX_IMAGE_CALLS = 2  # per user message, tools that generate images (each is a paid image)


class ToolArguments(BaseModel):
    """Base of every tool's arguments: fields the schema does not name are ignored."""

    model_config = ConfigDict(extra="ignore")


ArgumentsT = TypeVar("ArgumentsT", bound=ToolArguments)


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What goes back to the model (`text`), and images the user sees directly."""

    text: str
    images: tuple[bytes, ...] = ()


class Tool(ABC, Generic[ArgumentsT]):
    name: str
    description: str
    arguments: type[ArgumentsT]
    makes_images: bool = False  # counted against MAX_IMAGE_CALLS

    @abstractmethod
    async def run(self, arguments: ArgumentsT, user_id: int) -> ToolOutcome: ...

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, self.description, _schema(self.arguments))


@dataclass(slots=True)
class ToolBudget:
    """What one user message may still cost in tool calls; calls past a cap are answered with the limit."""

    user_id: int = 0  # whose message this is: paid tools charge that user's daily limits
    calls: int = MAX_TOOL_CALLS
    image_calls: int = MAX_IMAGE_CALLS
    used: int = 0
    images_used: int = 0
    refusals: list[str] = field(default_factory=list)

    def take(self, tool: Tool[Any]) -> str | None:
        """None when the call may run; otherwise what the model is told instead."""
        if self.used >= self.calls:
            return f"error: the limit of {self.calls} tool calls per message is reached; answer with what you have"
        if tool.makes_images and self.images_used >= self.image_calls:
            return f"error: at most {self.image_calls} images can be generated per message; do not ask for more"
        self.used += 1
        self.images_used += tool.makes_images
        return None


class ToolRegistry:
    def __init__(self, tools: list[Tool[Any]]) -> None:
        self._tools = {tool.name: tool for tool in tools}
        # built once: pydantic's schema generation is a millisecond per tool, and every request sends them
        self._specs = tuple(tool.spec() for tool in self._tools.values())

    def specs(self) -> tuple[ToolSpec, ...]:
        return self._specs

    async def run(self, call: ToolCall, budget: ToolBudget) -> ToolOutcome:
        """Never raises: a failing, refused or unknown tool tells the model what went wrong, so it can recover."""
        tool = self._tools.get(call.name)
        if tool is None:
            return ToolOutcome(f"error: there is no tool named {call.name!r}")
        try:
            raw = json.loads(call.arguments or "{}")
        except ValueError:
            return ToolOutcome("error: the arguments were not valid JSON")
        if not isinstance(raw, dict):
            return ToolOutcome("error: the arguments must be a JSON object")
        try:
            arguments = tool.arguments.model_validate(raw)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:5])
            return ToolOutcome(f"error: invalid arguments ({problems})")
        refused = budget.take(tool)
        if refused is not None:
            return ToolOutcome(refused)
        try:
            return await tool.run(arguments, budget.user_id)
        except DailyLimitReached as error:
            reached = error.reached
            return ToolOutcome(
                f"error: the user's daily {reached.limit} limit is reached ({reached.used}/{reached.allowed}); "
                f"tell them it resets at {reached.resets_at:%H:%M} UTC"
            )
        except Exception as error:  # the model gets the error text, the user keeps a working chat
            log.info("tool %s failed: %s", call.name, error)
            return ToolOutcome(f"error: {type(error).__name__}: {error}")


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema without pydantic's titles (some gateways refuse keys they do not know)."""
    schema: dict[str, Any] = _without_titles(model.model_json_schema())
    return schema


def _without_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _without_titles(value) for key, value in node.items() if key != "title"}
    if isinstance(node, list):
        return [_without_titles(item) for item in node]
    return node
