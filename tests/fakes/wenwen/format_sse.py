"""The life cycle of one scripted answer on the ``event:``-framed routes (``/v1/responses`` and
``/v1/messages``, spec §0.4): first_delay, errors before the stream, SSE writing with optional
``: PING`` comments, pacing (delay), hold, cut and disconnect accounting.

Subclasses implement :meth:`FormatRun.error_response`, :meth:`FormatRun.body` (the non-stream
JSON) and :meth:`FormatRun.stream_events`.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .chat import SSE_HEADERS, Reply, split_text
from .errors import ServerStopping, json_response
from .recording import RECORDED_KEY

if TYPE_CHECKING:
    from .server import FakeWenwen


class FormatRun:
    """One answered request of a Responses/Anthropic route."""

    def __init__(self, fake: FakeWenwen, request: web.Request, reply: Reply, model: str, stream: bool) -> None:
        self.fake, self.request, self.reply, self.model, self.stream = fake, request, reply, model, stream
        self.resp: web.StreamResponse | None = None
        self.frames = 0
        self._held = False
        self._paced = False
        # content plan shared by both formats
        self.ends_early = reply.cut or reply.mid_stream_error is not None
        pieces = split_text(reply.text, reply.chunks)
        # cut_after: text chunks sent before the cut / error; nothing after them (no tool calls)
        self.truncated = self.ends_early and reply.cut_after is not None
        if self.truncated:
            pieces = pieces[: max(0, reply.cut_after or 0)]
        self.text_pieces = pieces
        self.reasoning_pieces = split_text(reply.reasoning, None)

    # ------------------------------------------------------------- to implement
    def error_response(self) -> web.StreamResponse:
        raise NotImplementedError

    def body(self) -> dict[str, Any]:
        raise NotImplementedError

    async def stream_events(self) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------- lifecycle
    async def run(self) -> web.StreamResponse:
        fake, reply = self.fake, self.reply
        if self.stream:
            fake.note_stream_open()
        try:
            await fake.sleep(reply.first_delay)
            if reply.status != 200:
                return self.error_response()
            if self.stream:
                self.resp = web.StreamResponse(status=200, headers=SSE_HEADERS)
                await self.resp.prepare(self.request)
                await self.stream_events()
                await self.resp.write_eof()
                return self.resp
            if reply.hold is not None:
                await fake.wait_event(reply.hold)
            return json_response(self.body(), gin=False)
        except asyncio.CancelledError:  # client went away (handler_cancellation)
            fake.note_disconnect()
            raise
        except ConnectionResetError:  # write to a closing transport
            fake.note_disconnect()
            return self.resp if self.resp is not None else web.Response(status=499)
        except ServerStopping:
            return self.resp if self.resp is not None else web.Response(status=503)
        finally:
            if self.stream:
                fake.note_stream_closed()

    # ------------------------------------------------------------------ writing
    async def send(self, event: str, payload: dict[str, Any]) -> None:
        """``event: <type>\\ndata: <json>\\n\\n`` (``: PING`` before it when the reply pings)."""
        assert self.resp is not None
        if self.reply.ping and self.frames:
            await self.resp.write(b": PING\n\n")
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        await self.resp.write(f"event: {event}\ndata: {data}\n\n".encode())
        self.frames += 1

    async def pace(self) -> None:
        """The scripted ``delay`` before a content delta (none before the first)."""
        if self._paced:
            await self.fake.sleep(self.reply.delay)
        self._paced = True

    async def after_text_delta(self) -> None:
        """Record chunk times like chat; the first text delta may be held."""
        extra = self.request[RECORDED_KEY].extra
        extra.setdefault("first_chunk_at", time.monotonic())
        extra["last_chunk_at"] = time.monotonic()
        if self.reply.hold is not None and not self._held:
            self._held = True
            await self.fake.wait_event(self.reply.hold)

    async def release_hold(self) -> None:
        """A held reply without text deltas waits once before it ends."""
        if self.reply.hold is not None and not self._held:
            self._held = True
            await self.fake.wait_event(self.reply.hold)
