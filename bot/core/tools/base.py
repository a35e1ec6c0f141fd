"""The tool interface: a class with a JSON schema and an async `run` (n3d1117's plugin idea, typed)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from bot.wenwen import ToolCall, ToolSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What goes back to the model (`text`), and images the user sees directly."""

    text: str
    images: tuple[bytes, ...] = ()


class Tool(Protocol):
    name: str
    description: str
    parameters: dict[str, Any]

    async def run(self, arguments: dict[str, Any]) -> ToolOutcome: ...


class ToolRegistry:
    def __init__(self, tools: list[Tool]) -> None:
        self._tools = {tool.name: tool for tool in tools}

    def specs(self) -> tuple[ToolSpec, ...]:
        return tuple(ToolSpec(t.name, t.description, t.parameters) for t in self._tools.values())

    async def run(self, call: ToolCall) -> ToolOutcome:
        """Never raises: a failing or unknown tool tells the model what went wrong, so it can recover."""
        tool = self._tools.get(call.name)
        if tool is None:
            return ToolOutcome(f"error: there is no tool named {call.name!r}")
        try:
            arguments = json.loads(call.arguments or "{}")
        except ValueError:
            return ToolOutcome("error: the arguments were not valid JSON")
        if not isinstance(arguments, dict):
            return ToolOutcome("error: the arguments must be a JSON object")
        try:
            return await tool.run(arguments)
        except Exception as error:  # the model gets the error text, the user keeps a working chat
            log.info("tool %s failed: %s", call.name, error)
            return ToolOutcome(f"error: {type(error).__name__}: {error}")
