"""``POST /v1/chat/completions`` (spec §3): scripted replies, SSE stream and JSON answer."""

from __future__ import annotations

import asyncio
import json
import secrets
import string
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .chat_validate import last_user_text, message_text, validate_chat_request
from .errors import (
    ServerStopping,
    default_error_message,
    json_response,
    relay_error_body,
    text_response,
)
from .format_tools import finish_reason_for, tool_arguments, tool_call_id, tools_tokens
from .gateway import distribute
from .recording import RECORDED_KEY

if TYPE_CHECKING:
    from .server import FakeWenwen

PATH = "/v1/chat/completions"
SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "Connection": "keep-alive",
    "X-Accel-Buffering": "no",
}
DEFAULT_CHUNK_CHARS = 8


@dataclass
class Reply:
    """One scripted answer for /v1/chat/completions."""

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


def _tokens(text: str) -> int:
    return -(-len(text) // 4)


def estimate_usage(messages: list[dict[str, Any]], reply: Reply, detailed: bool) -> dict[str, Any]:
    if reply.usage is not None:
        return dict(reply.usage)
    prompt = max(1, _tokens("".join(message_text(m) for m in messages)))
    reasoning = _tokens(reply.reasoning)
    completion = _tokens(reply.text) + reasoning + tools_tokens(reply)
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if detailed:
        usage["prompt_tokens_details"] = {"cached_tokens": 0, "audio_tokens": 0}
        usage["completion_tokens_details"] = {
            "reasoning_tokens": reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        }
    return usage


def _random_id(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


class _ChatRun:
    """One answered request."""

    def __init__(
        self,
        fake: FakeWenwen,
        request: web.Request,
        body: dict[str, Any],
        model: str,
        messages: list[dict[str, Any]],
        reply: Reply,
    ) -> None:
        self.fake, self.request, self.reply = fake, request, reply
        self.model, self.messages = model, messages
        self.stream = body.get("stream") is True
        options = body.get("stream_options")
        self.include_usage = self.stream and isinstance(options, dict) and options.get("include_usage") is True
        self.id = "chatcmpl-" + _random_id(29)
        self.created = int(time.time())
        self.fingerprint = "fp_" + secrets.token_hex(5)
        self.resp: web.StreamResponse | None = None
        self.frames = 0

    async def run(self) -> web.StreamResponse:
        fake, reply = self.fake, self.reply
        if self.stream:
            fake.note_stream_open()
        try:
            await fake.sleep(reply.first_delay)
            if reply.status != 200:
                return self._error_response()
            if self.stream:
                await self._stream()
                assert self.resp is not None
                return self.resp
            if reply.hold is not None:
                await fake.wait_event(reply.hold)
            return json_response(self._completion(), gin=False)
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

    # ------------------------------------------------------------------ errors
    def _error_response(self) -> web.StreamResponse:
        reply = self.reply
        if reply.plain_body is not None:
            return text_response(reply.plain_body, reply.status)
        message = reply.error_message or default_error_message(reply.status, self.model)
        body = relay_error_body(self.request, message, type_=reply.error_type, code=reply.error_code)
        return json_response(body, reply.status)

    # ------------------------------------------------------------- non-stream
    def _completion(self) -> dict[str, Any]:
        reply = self.reply
        message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None}
        if reply.reasoning:
            message[reply.reasoning_field] = reply.reasoning
        if reply.tool_calls:
            message["content"] = reply.text or None
            message["tool_calls"] = [
                {
                    "id": tool_call_id(call, "call_"),
                    "type": "function",
                    "function": {"name": call["name"], "arguments": tool_arguments(call)},
                }
                for call in reply.tool_calls
            ]
        finish = finish_reason_for(reply)
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": estimate_usage(self.messages, reply, detailed=True),
            "system_fingerprint": self.fingerprint,
        }

    # ----------------------------------------------------------------- stream
    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None, *, first: bool = False) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
        }
        if first:
            chunk["system_fingerprint"] = self.fingerprint
        chunk["choices"] = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
        chunk["usage"] = None
        return chunk

    def _tool_call_deltas(self) -> list[dict[str, Any]]:
        """Spec §3.3: per call one fragment with index/id/type/name and empty arguments, then
        fragments with only index and an arguments piece."""
        deltas: list[dict[str, Any]] = []
        for index, call in enumerate(self.reply.tool_calls or []):
            header = {
                "index": index,
                "id": tool_call_id(call, "call_"),
                "type": "function",
                "function": {"name": call["name"], "arguments": ""},
            }
            deltas.append({"tool_calls": [header]})
            for piece in split_text(tool_arguments(call), None):
                deltas.append({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        return deltas

    async def _send(self, payload: dict[str, Any] | str) -> None:
        assert self.resp is not None
        if self.reply.ping and self.frames:
            await self.resp.write(b": PING\n\n")
        data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        await self.resp.write(f"data: {data}\n\n".encode())
        self.frames += 1

    async def _stream(self) -> None:
        reply, fake = self.reply, self.fake
        self.resp = web.StreamResponse(status=200, headers=SSE_HEADERS)
        await self.resp.prepare(self.request)
        tool_frames = self._tool_call_deltas()
        if tool_frames and not reply.text and not reply.reasoning:
            # a pure tool call: the first chunk carries the role and the first fragment (spec §3.3)
            await self._send(self._chunk({"role": "assistant", "content": None, **tool_frames.pop(0)}, first=True))
        else:
            await self._send(self._chunk({"role": "assistant", "content": ""}, first=True))

        pieces = split_text(reply.text, reply.chunks)
        ends_early = reply.cut or reply.mid_stream_error is not None
        if ends_early and reply.cut_after is not None:
            pieces = pieces[: max(0, reply.cut_after)]
            tool_frames = []
        reasoning = split_text(reply.reasoning, None)
        sent = 0
        for piece in reasoning:
            if sent:
                await fake.sleep(reply.delay)
            await self._send(self._chunk({reply.reasoning_field: piece}))
            sent += 1
        held = False
        for piece in pieces:
            if sent:
                await fake.sleep(reply.delay)
            await self._send(self._chunk({"content": piece}))
            self.request[RECORDED_KEY].extra.setdefault("first_chunk_at", time.monotonic())
            self.request[RECORDED_KEY].extra["last_chunk_at"] = time.monotonic()
            sent += 1
            if reply.hold is not None and not held:
                held = True
                await fake.wait_event(reply.hold)
        if reply.hold is not None and not held:
            await fake.wait_event(reply.hold)
        for delta in tool_frames:
            await fake.sleep(reply.delay)
            await self._send(self._chunk(delta))

        if reply.mid_stream_error is not None:
            await self._send({"error": reply.mid_stream_error})
        elif not reply.cut:
            await self._send(self._chunk({}, finish_reason_for(reply)))
            if self.include_usage:
                await self._send(
                    {
                        "id": self.id,
                        "object": "chat.completion.chunk",
                        "created": self.created,
                        "model": self.model,
                        "choices": [],
                        "usage": estimate_usage(self.messages, reply, detailed=False),
                    }
                )
        await self._send("[DONE]")
        await self.resp.write_eof()


def register(fake: FakeWenwen, app: web.Application) -> None:
    async def chat_completions(request: web.Request) -> web.StreamResponse:
        body, model = distribute(fake, request)
        messages = validate_chat_request(request, body)
        if fake.chat_replies:
            reply = fake.chat_replies.popleft()
        else:
            reply = Reply(text=f"echo: {last_user_text(messages)}")
        return await _ChatRun(fake, request, body, model, messages, reply).run()

    app.router.add_post(PATH, chat_completions)
