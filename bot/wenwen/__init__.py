"""HTTP client for the wenwen gateway (new-api). Imports nothing of Telegram or storage."""

from .client import WenwenClient
from .errors import ErrorKind, WenwenError, WenwenNetworkError, WenwenStreamError, WenwenTruncatedError
from .types import (
    ChatMessage,
    ChatRequest,
    Finish,
    McpServer,
    ModelInfo,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolSpec,
    UsageReport,
)

__all__ = [
    "ChatMessage",
    "ChatRequest",
    "ErrorKind",
    "Finish",
    "McpServer",
    "ModelInfo",
    "ReasoningDelta",
    "StreamEvent",
    "TextDelta",
    "ToolCall",
    "ToolSpec",
    "UsageReport",
    "WenwenClient",
    "WenwenError",
    "WenwenNetworkError",
    "WenwenStreamError",
    "WenwenTruncatedError",
]
