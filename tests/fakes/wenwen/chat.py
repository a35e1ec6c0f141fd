"""``POST /v1/chat/completions`` (docs/protocols.md, "Gateway: chat completions"): scripted replies, SSE and JSON."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .chat_validate import last_user_text, message_text, validate_chat_request
from .errors import random_id
from .format_sse import FormatRun, Reply, next_reply, split_text
from .format_tools import finish_reason_for, tokens, tool_arguments, tool_call_id, tools_tokens
from .gateway import distribute

if TYPE_CHECKING:
    from .server import FakeWenwen

PATH = "/v1/chat/completions"


def estimate_usage(messages: list[dict[str, Any]], reply: Reply, detailed: bool) -> dict[str, Any]:
    if reply.usage is not None:
        return dict(reply.usage)
    prompt = max(1, tokens("".join(message_text(m) for m in messages)))
    reasoning = tokens(reply.reasoning)
    completion = tokens(reply.text) + reasoning + tools_tokens(reply)
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


class _ChatRun(FormatRun):
    """One answered request."""

    def setup(self) -> None:
        options = self.request_body.get("stream_options")
        self.include_usage = self.stream and isinstance(options, dict) and options.get("include_usage") is True
        self.id = "chatcmpl-" + random_id(29)
        self.created = int(time.time())
        self.fingerprint = "fp_" + secrets.token_hex(5)

    # ------------------------------------------------------------- non-stream
    def body(self) -> dict[str, Any]:
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
        """Per call one fragment with index/id/type/name and empty arguments (docs/protocols.md), then
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

    async def stream_events(self) -> None:
        reply, fake = self.reply, self.fake
        tool_frames = self._tool_call_deltas()
        if tool_frames and not reply.text and not reply.reasoning:
            # a pure tool call: the first chunk carries the role and the first fragment (docs/protocols.md)
            await self.send_data(self._chunk({"role": "assistant", "content": None, **tool_frames.pop(0)}, first=True))
        else:
            await self.send_data(self._chunk({"role": "assistant", "content": ""}, first=True))
        if self.truncated:
            tool_frames = []
        for piece in self.reasoning_pieces:
            await self.pace()
            await self.send_data(self._chunk({reply.reasoning_field: piece}))
        for piece in self.text_pieces:
            await self.pace()
            await self.send_data(self._chunk({"content": piece}))
            await self.after_text_delta()  # records first/last_chunk_at (benchmarks/load_chat.py)
        await self.release_hold()
        for delta in tool_frames:
            await fake.sleep(reply.delay)
            await self.send_data(self._chunk(delta))

        if reply.mid_stream_error is not None:
            await self.send_data({"error": reply.mid_stream_error})
        elif not reply.cut:
            await self.send_data(self._chunk({}, finish_reason_for(reply)))
            if self.include_usage:
                await self.send_data(
                    {
                        "id": self.id,
                        "object": "chat.completion.chunk",
                        "created": self.created,
                        "model": self.model,
                        "choices": [],
                        "usage": estimate_usage(self.messages, reply, detailed=False),
                    }
                )
        await self.send_data("[DONE]")


def register(fake: FakeWenwen, app: web.Application) -> None:
    async def chat_completions(request: web.Request) -> web.StreamResponse:
        body, model = distribute(fake, request)
        messages = validate_chat_request(request, body)
        reply = next_reply(fake, last_user_text(messages))
        return await _ChatRun(fake, request, body, model, reply, messages).run()

    app.router.add_post(PATH, chat_completions)
