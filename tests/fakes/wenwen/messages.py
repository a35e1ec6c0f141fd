"""``POST /v1/messages`` (docs/protocols.md, "Gateway: Anthropic messages"), driven by the same scripted
:class:`format_sse.Reply` queue as /v1/chat/completions (``fake.script(...)``, FIFO across formats).

Auth: ``x-api-key`` or Bearer (docs/protocols.md, "Gateway: authentication"); auth and distributor errors stay
OpenAI-shaped, everything after is ``{"type":"error","error":{"type","message"}}``.
``anthropic-version`` may be missing (new-api defaults it to 2023-06-01); the effective value is
recorded in ``RecordedRequest.extra["anthropic_version"]``. Request checks: see
format_messages_request.py.

How a Reply maps onto the format (content blocks, in this order):

* ``reasoning`` → a ``thinking`` block (``thinking_delta``… then one ``signature_delta`` with
  ``thinking_signature``) — only when the request enabled thinking (``thinking.type="enabled"``,
  or a ``-thinking`` model name, which new-api's adapter turns into thinking), like Claude.
* ``text`` → a ``text`` block (``text_delta``…); omitted when text is "" and the reply calls tools.
* ``tool_calls`` → ``tool_use`` blocks after the text (``content_block_start`` with ``input: {}``,
  then ``input_json_delta``: an empty ``partial_json`` first, then pieces), stop_reason
  ``tool_use``. With ``mcp_servers`` in the request they become ``mcp_tool_use`` +
  ``mcp_tool_result`` pairs *before* the text block instead, and the turn ends normally
  (``end_turn``); a call may script ``server_name`` (default: the first server's name) and
  ``result`` (default ``"result of <name>"``).
* ``finish_reason`` → stop_reason: stop→end_turn, length→max_tokens, tool_calls→tool_use,
  content_filter→refusal; anything else is sent as is (e.g. ``"stop_sequence"``).
* one ``event: ping`` after the first ``content_block_start`` (as Anthropic does); ``ping=True``
  additionally writes ``: PING`` comments (new-api keep-alive).
* ``cut`` → the stream ends without message_delta/message_stop; ``mid_stream_error`` →
  ``event: error`` ``{"type":"error","error":{"type": dict's type or "overloaded_error",
  "message": dict's message or "Overloaded"}}``. ``cut_after`` counts text deltas.
* ``status != 200`` → a Claude-shaped error (``error_type``, default ``new_api_error``; script
  ``status=529, error_type="overloaded_error", error_message="Overloaded"`` for Anthropic's 529).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import default_error_message, random_id
from .format_messages_request import (
    claude_error,
    last_user_text,
    prompt_text,
    thinking_enabled,
    validate_messages_request,
)
from .format_sse import FormatRun, next_reply, split_text
from .format_tools import output_tokens, tokens, tool_arguments, tool_call_id, tool_input
from .gateway import distribute
from .recording import RECORDED_KEY

if TYPE_CHECKING:
    from .server import FakeWenwen

PATH = "/v1/messages"
DEFAULT_VERSION = "2023-06-01"
STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal"}


class _MessagesRun(FormatRun):
    def setup(self) -> None:
        body, model, reply = self.request_body, self.model, self.reply
        self.id = "msg_01" + random_id(22)
        self.upstream_model = model.removesuffix("-thinking")
        self.prompt_tokens = max(1, tokens(prompt_text(body, self.messages)))
        self.thinking = bool(reply.reasoning) and thinking_enabled(body, model)
        servers = body.get("mcp_servers") or []
        self.mcp = bool(servers) and bool(reply.tool_calls)
        self.server_name = str(servers[0].get("name", "")) if servers and isinstance(servers[0], dict) else ""
        self.has_text = bool(reply.text) or not reply.tool_calls
        self.tool_blocks = self._tool_blocks()
        if reply.tool_calls and not self.mcp and reply.finish_reason in ("stop", "tool_calls"):
            self.stop_reason = "tool_use"
        else:
            self.stop_reason = STOP_REASONS.get(reply.finish_reason, reply.finish_reason)

    # ------------------------------------------------------------------ blocks
    def _tool_blocks(self) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        for call in self.reply.tool_calls or []:
            if self.mcp:
                block_id = tool_call_id(call, "mcptoolu_01")
                blocks.append(
                    {
                        "type": "mcp_tool_use",
                        "id": block_id,
                        "name": call["name"],
                        "server_name": call.get("server_name") or self.server_name,
                        "input": tool_input(call),
                    }
                )
                result = call.get("result", f"result of {call['name']}")
                blocks.append(
                    {
                        "type": "mcp_tool_result",
                        "tool_use_id": block_id,
                        "is_error": False,
                        "content": [{"type": "text", "text": str(result)}],
                    }
                )
            else:
                block_id = tool_call_id(call, "toolu_01")
                blocks.append({"type": "tool_use", "id": block_id, "name": call["name"], "input": tool_input(call)})
        return blocks

    def _content(self) -> list[dict[str, Any]]:
        reply = self.reply
        content: list[dict[str, Any]] = []
        if self.thinking:
            content.append({"type": "thinking", "thinking": reply.reasoning, "signature": reply.thinking_signature})
        text = [{"type": "text", "text": reply.text}] if self.has_text else []
        if self.mcp:
            return content + self.tool_blocks + text
        return content + text + self.tool_blocks

    def _usage(self) -> dict[str, Any]:
        usage = dict(self.reply.usage or {})
        return {
            "input_tokens": usage.get("input_tokens", usage.get("prompt_tokens", self.prompt_tokens)),
            "cache_creation_input_tokens": usage.get("cache_creation_input_tokens", 0),
            "cache_read_input_tokens": usage.get("cache_read_input_tokens", 0),
            "output_tokens": usage.get("output_tokens", usage.get("completion_tokens", output_tokens(self.reply))),
        }

    # ------------------------------------------------------------- non-stream
    def error_envelope(self) -> web.StreamResponse:
        reply = self.reply
        message = reply.error_message or default_error_message(reply.status, self.model)
        return claude_error(self.request, reply.status, reply.error_type, message).response

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.upstream_model,
            "content": self._content(),
            "stop_reason": self.stop_reason,
            "stop_sequence": None,
            "usage": self._usage(),
        }

    # ----------------------------------------------------------------- stream
    async def emit(self, event: str, **fields: Any) -> None:
        await self.send(event, {"type": event, **fields})

    async def stream_events(self) -> None:
        usage = self._usage()
        start_usage = {**usage, "output_tokens": 1}
        if self.reply.late_usage:
            start_usage["input_tokens"] = 0
        message = {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.upstream_model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": start_usage,
        }
        await self.emit("message_start", message=message)
        index = 0
        for block in self._content():
            finished = await self._stream_block(index, block)
            if not finished:
                await self.release_hold()
                return await self._end_early()
            index += 1
        await self.release_hold()
        if self.ends_early:
            return await self._end_early()
        delta = {"stop_reason": self.stop_reason, "stop_sequence": None}
        late = {"input_tokens": usage["input_tokens"]} if self.reply.late_usage else {}
        await self.emit("message_delta", delta=delta, usage={"output_tokens": usage["output_tokens"], **late})
        await self.emit("message_stop")

    async def _start(self, index: int, block: dict[str, Any]) -> None:
        await self.emit("content_block_start", index=index, content_block=block)
        if index == 0:
            await self.emit("ping")

    async def _delta(self, index: int, delta: dict[str, Any]) -> None:
        await self.emit("content_block_delta", index=index, delta=delta)

    async def _stream_block(self, index: int, block: dict[str, Any]) -> bool:
        """One content block; False when the stream is cut inside it (cut_after)."""
        kind = block["type"]
        if kind == "thinking":
            await self._start(index, {"type": "thinking", "thinking": "", "signature": ""})
            for piece in self.reasoning_pieces:
                await self.pace()
                await self._delta(index, {"type": "thinking_delta", "thinking": piece})
            await self._delta(index, {"type": "signature_delta", "signature": block["signature"]})
        elif kind == "text":
            await self._start(index, {"type": "text", "text": ""})
            for piece in self.text_pieces:
                await self.pace()
                await self._delta(index, {"type": "text_delta", "text": piece})
                await self.after_text_delta()
            await self.release_hold()
            if self.truncated:
                return False
        elif kind in ("tool_use", "mcp_tool_use"):
            if self.truncated and not self.mcp:
                return False
            await self._start(index, {**block, "input": {}})
            arguments = tool_arguments({"arguments": block["input"]})
            for piece in ["", *split_text(arguments, None)]:
                await self.pace()
                await self._delta(index, {"type": "input_json_delta", "partial_json": piece})
        else:  # mcp_tool_result: complete in its start event
            await self._start(index, block)
        await self.emit("content_block_stop", index=index)
        return True

    async def _end_early(self) -> None:
        error = self.reply.mid_stream_error
        if error is None:  # cut: the stream just stops
            return
        payload = {"type": error.get("type") or "overloaded_error", "message": error.get("message") or "Overloaded"}
        await self.emit("error", error=payload)


def register(fake: FakeWenwen, app: web.Application) -> None:
    async def create_message(request: web.Request) -> web.StreamResponse:
        request[RECORDED_KEY].extra["anthropic_version"] = request.headers.get("anthropic-version") or DEFAULT_VERSION
        body, model = distribute(fake, request)
        default_max_tokens = fake.messages_default_max_tokens
        messages = validate_messages_request(request, body, model, default_max_tokens)
        reply = next_reply(fake, last_user_text(messages))
        return await _MessagesRun(fake, request, body, model, reply, messages).run()

    app.router.add_post(PATH, create_message)
