"""The scripted :class:`Reply` and the life cycle of one answer on the three chat routes
(``/v1/chat/completions``, ``/v1/responses``, ``/v1/messages``): first_delay, errors before the
stream, SSE writing with optional ``: PING`` comments, pacing (delay), hold, cut and disconnect
accounting.

Subclasses of :class:`FormatRun` implement :meth:`FormatRun.setup`, :meth:`FormatRun.body` (the
non-stream JSON) and :meth:`FormatRun.stream_events`; /v1/messages also overrides
:meth:`FormatRun.error_envelope`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import ServerStopping, compact_json, json_response, scripted_error, text_response
from .recording import RECORDED_KEY

if TYPE_CHECKING:
    from .server import FakeWenwen

SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",
}
DEFAULT_CHUNK_CHARS = 8


@dataclass
class Reply:
    """One scripted answer for /v1/chat/completions, /v1/responses or /v1/messages."""

    text: str = "Hello from fake wenwen."
    reasoning: str = ""  # streamed first as delta.<reasoning_field>
    reasoning_field: str = "reasoning_content"  # or "reasoning"
    chunks: int | None = None  # number of content chunks; None = about one per 8 characters
    delay: float = 0.0  # seconds between reasoning/content chunks
    first_delay: float = 0.0  # before the response starts (status line included)
    finish_reason: str = "stop"
    cut: bool = False  # end with data: [DONE] but no finish_reason and no usage
    cut_after: int | None = None  # content chunks sent before a cut / mid-stream error; None = all
    mid_stream_error: dict[str, Any] | None = None  # sent as data: {"error": …} then [DONE]
    status: int = 200  # non-200: JSON error envelope (or plain_body) instead of an answer
    error_message: str = ""  # gateway message; " (request id: …)" is appended
    error_type: str = "new_api_error"
    error_code: str | None = None
    plain_body: str | None = None  # non-JSON error body (text/html if it starts with "<")
    usage: dict[str, Any] | None = None  # default: estimated from the request and the text
    ping: bool = False  # ": PING" comments between frames
    hold: asyncio.Event | None = None  # pause after the first content chunk until set
    # Each {"name": str, "arguments": dict (or a raw JSON string), optional "id"; for /v1/messages
    # with mcp_servers also optional "server_name" and "result"}. The answer (after ``text``, so set
    # text="" for a pure tool call) ends with the format's tool-call form; see format_tools.py.
    tool_calls: list[dict[str, Any]] | None = None
    citations: list[dict[str, Any]] | None = None  # Responses only: [{"url", "title", optional start/end_index}]
    thinking_signature: str = "sig"  # /v1/messages: the signature_delta closing the thinking block
    responses_failed: bool = False  # Responses: send mid_stream_error as response.failed, not an error event
    # /v1/messages: input_tokens 0 in message_start and the real count only in message_delta (some gateways)
    late_usage: bool = False


def split_text(text: str, chunks: int | None) -> list[str]:
    if not text:
        return []
    count = -(-len(text) // DEFAULT_CHUNK_CHARS) if chunks is None else max(1, min(chunks, len(text)))
    size, extra = divmod(len(text), count)
    pieces, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


def next_reply(fake: FakeWenwen, last_user_text: str) -> Reply:
    """The next scripted reply (one FIFO shared by the three formats), else ``fake.unscripted_reply``:
    ``fake.default_reply`` or an echo of the text, unless ``fake.chaos`` picks a fault (chaos.py)."""
    if fake.chat_replies:
        return fake.chat_replies.popleft()
    return fake.unscripted_reply(last_user_text)


class FormatRun:
    """One answered request of a chat route."""

    def __init__(
        self,
        fake: FakeWenwen,
        request: web.Request,
        body: dict[str, Any],
        model: str,
        reply: Reply,
        messages: list[dict[str, Any]] | None = None,
    ) -> None:
        """``messages``: the validated chat / Anthropic messages (Responses reads ``body["input"]``)."""
        self.fake, self.request, self.reply, self.model = fake, request, reply, model
        self.request_body, self.messages = body, messages or []
        self.stream = body.get("stream") is True
        self.resp: web.StreamResponse | None = None
        self.frames = 0
        self._held = False
        self._paced = False
        # content plan shared by the formats
        self.ends_early = reply.cut or reply.mid_stream_error is not None
        pieces = split_text(reply.text, reply.chunks)
        # cut_after: text chunks sent before the cut / error; nothing after them (no tool calls)
        self.truncated = self.ends_early and reply.cut_after is not None
        if self.truncated:
            pieces = pieces[: max(0, reply.cut_after or 0)]
        self.text_pieces = pieces
        self.reasoning_pieces = split_text(reply.reasoning, None)
        self.setup()

    # ------------------------------------------------------------- to implement
    def setup(self) -> None:
        """The format's own state (ids, usage, blocks …), once the shared plan above is made."""

    def body(self) -> dict[str, Any]:
        raise NotImplementedError

    async def stream_events(self) -> None:
        raise NotImplementedError

    def error_envelope(self) -> web.StreamResponse:
        """The scripted error before any stream: OpenAI-shaped (chat completions, Responses)."""
        reply = self.reply
        return scripted_error(
            self.request, reply.status, reply.error_message, self.model, reply.error_type, reply.error_code
        )

    # ---------------------------------------------------------------- lifecycle
    def error_response(self) -> web.StreamResponse:
        reply = self.reply
        if reply.plain_body is not None:
            return text_response(reply.plain_body, reply.status)
        return self.error_envelope()

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
    async def write_frame(self, frame: str) -> None:
        """One SSE frame (``: PING`` before it when the reply pings)."""
        assert self.resp is not None
        if self.reply.ping and self.frames:
            await self.resp.write(b": PING\n\n")
        await self.resp.write(frame.encode())
        self.frames += 1

    async def send(self, event: str, payload: dict[str, Any]) -> None:
        """``event: <type>\\ndata: <json>\\n\\n`` (Responses, Anthropic)."""
        await self.write_frame(f"event: {event}\ndata: {compact_json(payload)}\n\n")

    async def send_data(self, payload: dict[str, Any] | str) -> None:
        """``data: <json or literal>\\n\\n`` (chat completions)."""
        data = payload if isinstance(payload, str) else compact_json(payload)
        await self.write_frame(f"data: {data}\n\n")

    async def pace(self) -> None:
        """The scripted ``delay`` before a content delta (none before the first)."""
        if self._paced:
            await self.fake.sleep(self.reply.delay)
        self._paced = True

    async def after_text_delta(self) -> None:
        """Record the chunk times; the first text delta may be held."""
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
