"""The gateway's errors as the layers above core see them.

Core services let a `WenwenError` (with its `ErrorKind`) through; handlers and render catch and describe
it. They import both from here, never from `bot.wenwen` (docs/architecture.md, "Layers").
"""

from __future__ import annotations

from bot.wenwen.errors import ErrorKind, WenwenError

__all__ = ["ErrorKind", "WenwenError"]
