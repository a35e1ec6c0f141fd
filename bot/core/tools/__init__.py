"""Tools the model may call (function calling); each is a class with a schema and an async `run`."""

from .base import MAX_IMAGE_CALLS, MAX_TOOL_CALLS, Tool, ToolBudget, ToolOutcome, ToolRegistry
from .builtin import CurrentTime, GenerateImage

__all__ = [
    "MAX_IMAGE_CALLS",
    "MAX_TOOL_CALLS",
    "CurrentTime",
    "GenerateImage",
    "Tool",
    "ToolBudget",
    "ToolOutcome",
    "ToolRegistry",
]
