"""Tools the model may call (function calling); each is a class with a schema and an async `run`."""

from .base import Tool, ToolOutcome, ToolRegistry
from .builtin import CurrentTime, GenerateImage

__all__ = ["CurrentTime", "GenerateImage", "Tool", "ToolOutcome", "ToolRegistry"]
