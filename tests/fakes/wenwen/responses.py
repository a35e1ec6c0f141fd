"""``POST /v1/responses`` (docs/protocols.md, "Gateway: Responses"), driven by the same scripted
:class:`format_sse.Reply` queue as /v1/chat/completions (``fake.script(...)``, FIFO across formats).

How a Reply maps onto the Responses format:

* ``reasoning`` → a ``reasoning`` output item first. Its summary text (``summary_text``, streamed as
  ``response.reasoning_summary_part.added`` / ``response.reasoning_summary_text.delta…|done`` /
  ``response.reasoning_summary_part.done``) is only sent when the request asked for it with
  ``reasoning.summary`` — like OpenAI; otherwise the item has ``"summary": []``.
* ``citations`` → a ``web_search_call`` item (``response.web_search_call.in_progress|searching|
  completed``) before the message, and ``url_citation`` annotations on the output_text
  (``response.output_text.annotation.added`` after the text deltas; also in content_part.done,
  output_item.done and response.completed). ``start_index``/``end_index`` default to where the
  citation's url (else its title) occurs in the text, else the whole text.
* ``text`` → a ``message`` item (omitted when text is "" and the reply calls tools).
* ``tool_calls`` → ``function_call`` items after the message, with
  ``response.function_call_arguments.delta…|done``.
* ``finish_reason="length"`` → ``response.incomplete`` (``incomplete_details.reason
  = "max_output_tokens"``) instead of ``response.completed``.
* ``cut`` → the stream just ends (no ``response.completed``); ``mid_stream_error`` →
  ``event: error`` ``{"type":"error","code","message","param","sequence_number"}`` (the dict's
  ``code``/``message``/``param``), or ``response.failed`` with ``responses_failed=True``.
  ``cut_after`` counts text deltas; with it nothing after those deltas is sent.
* ``status != 200`` → an OpenAI error envelope before any stream (like chat).

No ``[DONE]``. Every event is ``event: <type>\\ndata: <json>\\n\\n`` and carries ``sequence_number``.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .format_responses_request import input_text, last_user_text, validate_responses_request
from .format_sse import FormatRun, next_reply, split_text
from .format_tools import output_tokens, tokens, tool_arguments, tool_call_id
from .gateway import distribute

if TYPE_CHECKING:
    from .server import FakeWenwen

PATH = "/v1/responses"


def _hex_id(prefix: str) -> str:
    return prefix + secrets.token_hex(24)


def citation_annotations(text: str, citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    annotations = []
    for citation in citations:
        url, title = str(citation.get("url", "")), str(citation.get("title", ""))
        start, end = citation.get("start_index"), citation.get("end_index")
        if start is None or end is None:
            for needle in (url, title):
                at = text.find(needle) if needle else -1
                if at >= 0:
                    start, end = at, at + len(needle)
                    break
            else:
                start, end = 0, len(text)
        annotations.append({"type": "url_citation", "start_index": start, "end_index": end, "url": url, "title": title})
    return annotations


class _ResponsesRun(FormatRun):
    def setup(self) -> None:
        body, reply = self.request_body, self.reply
        self.id = _hex_id("resp_")
        self.created = int(time.time())
        self.seq = 0
        reasoning = body.get("reasoning")
        self.reasoning_param = reasoning if isinstance(reasoning, dict) else {}
        self.summary_requested = bool(self.reasoning_param.get("summary"))
        self.reasoning_id = _hex_id("rs_")
        self.search_id = _hex_id("ws_")
        self.message_id = _hex_id("msg_")
        self.has_message = bool(reply.text) or not reply.tool_calls
        self.annotations = citation_annotations(reply.text, reply.citations or [])
        self.calls = [
            {
                "id": _hex_id("fc_"),
                "type": "function_call",
                "status": "completed",
                "arguments": tool_arguments(call),
                "call_id": tool_call_id(call, "call_"),
                "name": call["name"],
            }
            for call in reply.tool_calls or []
        ]

    # ------------------------------------------------------------------ pieces
    def _reasoning_item(self) -> dict[str, Any]:
        summary = [{"type": "summary_text", "text": self.reply.reasoning}] if self.summary_requested else []
        return {"id": self.reasoning_id, "type": "reasoning", "summary": summary}

    def _search_item(self, status: str) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.search_id, "type": "web_search_call", "status": status}
        if status == "completed":
            item["action"] = {"type": "search", "query": last_user_text(self.request_body)}
        return item

    def _text_part(self, text: str, annotations: list[dict[str, Any]]) -> dict[str, Any]:
        return {"type": "output_text", "annotations": annotations, "logprobs": [], "text": text}

    def _message_item(self, status: str) -> dict[str, Any]:
        content = [self._text_part(self.reply.text, self.annotations)] if status == "completed" else []
        return {"id": self.message_id, "type": "message", "status": status, "content": content, "role": "assistant"}

    def _output(self) -> list[dict[str, Any]]:
        output = []
        if self.reply.reasoning:
            output.append(self._reasoning_item())
        if self.reply.citations:
            output.append(self._search_item("completed"))
        if self.has_message:
            output.append(self._message_item("completed"))
        output.extend(self.calls)
        return output

    def _usage(self) -> dict[str, Any]:
        reply = self.reply
        if reply.usage is not None:
            usage = dict(reply.usage)
            if "input_tokens" not in usage and "prompt_tokens" in usage:
                usage = {
                    "input_tokens": usage["prompt_tokens"],
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": usage.get("completion_tokens", 0),
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": usage.get("total_tokens", 0),
                }
            return usage
        prompt = max(1, tokens(input_text(self.request_body)))
        completion = output_tokens(reply)
        return {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": completion,
            "output_tokens_details": {"reasoning_tokens": tokens(reply.reasoning)},
            "total_tokens": prompt + completion,
        }

    def _response(
        self,
        status: str,
        output: list[dict[str, Any]],
        usage: dict[str, Any] | None,
        *,
        error: dict[str, Any] | None = None,
        incomplete: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body = self.request_body
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "background": False,
            "error": error,
            "incomplete_details": incomplete,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": self.model,
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": {
                "effort": self.reasoning_param.get("effort"),
                "summary": self.reasoning_param.get("summary"),
            },
            "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0),
            "text": {"format": {"type": "text"}},
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools") or [],
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": usage,
            "user": None,
            "metadata": body.get("metadata") or {},
        }

    # ------------------------------------------------------------- non-stream
    def body(self) -> dict[str, Any]:
        if self.reply.finish_reason == "length":
            incomplete = {"reason": "max_output_tokens"}
            return self._response("incomplete", self._output(), self._usage(), incomplete=incomplete)
        return self._response("completed", self._output(), self._usage())

    # ----------------------------------------------------------------- stream
    async def emit(self, event: str, **fields: Any) -> None:
        await self.send(event, {"type": event, **fields, "sequence_number": self.seq})
        self.seq += 1

    async def stream_events(self) -> None:
        reply = self.reply
        await self.emit("response.created", response=self._response("in_progress", [], None))
        await self.emit("response.in_progress", response=self._response("in_progress", [], None))
        done: list[dict[str, Any]] = []
        if reply.reasoning:
            await self._stream_reasoning(len(done))
            done.append(self._reasoning_item())
        if reply.citations:
            await self._stream_search(len(done))
            done.append(self._search_item("completed"))
        if self.has_message:
            finished = await self._stream_message(len(done))
            if not finished:
                return await self._end_early(done)
            done.append(self._message_item("completed"))
        else:
            await self.release_hold()
            if self.truncated:
                return await self._end_early(done)
        for call in self.calls:
            await self._stream_call(len(done), call)
            done.append(call)
        if self.ends_early:
            return await self._end_early(done)
        if reply.finish_reason == "length":
            response = self._response("incomplete", done, self._usage(), incomplete={"reason": "max_output_tokens"})
            await self.emit("response.incomplete", response=response)
        else:
            await self.emit("response.completed", response=self._response("completed", done, self._usage()))

    async def _stream_reasoning(self, index: int) -> None:
        item_id = self.reasoning_id
        await self.emit(
            "response.output_item.added",
            output_index=index,
            item={"id": item_id, "type": "reasoning", "summary": []},
        )
        if self.summary_requested:
            where = {"item_id": item_id, "output_index": index, "summary_index": 0}
            await self.emit("response.reasoning_summary_part.added", **where, part={"type": "summary_text", "text": ""})
            for piece in self.reasoning_pieces:
                await self.pace()
                await self.emit("response.reasoning_summary_text.delta", **where, delta=piece)
            text = self.reply.reasoning
            await self.emit("response.reasoning_summary_text.done", **where, text=text)
            await self.emit(
                "response.reasoning_summary_part.done", **where, part={"type": "summary_text", "text": text}
            )
        await self.emit("response.output_item.done", output_index=index, item=self._reasoning_item())

    async def _stream_search(self, index: int) -> None:
        await self.emit("response.output_item.added", output_index=index, item=self._search_item("in_progress"))
        for phase in ("in_progress", "searching", "completed"):
            await self.emit(f"response.web_search_call.{phase}", output_index=index, item_id=self.search_id)
        await self.emit("response.output_item.done", output_index=index, item=self._search_item("completed"))

    async def _stream_message(self, index: int) -> bool:
        """The message item; False when the stream is cut inside it (cut_after)."""
        where = {"item_id": self.message_id, "output_index": index, "content_index": 0}
        await self.emit("response.output_item.added", output_index=index, item=self._message_item("in_progress"))
        await self.emit("response.content_part.added", **where, part=self._text_part("", []))
        for piece in self.text_pieces:
            await self.pace()
            await self.emit("response.output_text.delta", **where, delta=piece, logprobs=[])
            await self.after_text_delta()
        await self.release_hold()
        if self.truncated:
            return False
        for number, annotation in enumerate(self.annotations):
            await self.emit(
                "response.output_text.annotation.added", **where, annotation_index=number, annotation=annotation
            )
        text = self.reply.text
        await self.emit("response.output_text.done", **where, text=text, logprobs=[])
        await self.emit("response.content_part.done", **where, part=self._text_part(text, self.annotations))
        await self.emit("response.output_item.done", output_index=index, item=self._message_item("completed"))
        return True

    async def _stream_call(self, index: int, call: dict[str, Any]) -> None:
        added = {**call, "status": "in_progress", "arguments": ""}
        await self.emit("response.output_item.added", output_index=index, item=added)
        where = {"item_id": call["id"], "output_index": index}
        for piece in split_text(call["arguments"], None):
            await self.pace()
            await self.emit("response.function_call_arguments.delta", **where, delta=piece)
        await self.emit("response.function_call_arguments.done", **where, arguments=call["arguments"])
        await self.emit("response.output_item.done", output_index=index, item=call)

    async def _end_early(self, done: list[dict[str, Any]]) -> None:
        error = self.reply.mid_stream_error
        if error is None:  # cut: the stream just stops
            return
        code = error.get("code", "server_error")
        message = error.get("message", "An error occurred while processing your request.")
        if self.reply.responses_failed:
            failure = {"code": code or "server_error", "message": message}
            await self.emit("response.failed", response=self._response("failed", done, None, error=failure))
        else:
            await self.emit("error", code=code, message=message, param=error.get("param"))


def register(fake: FakeWenwen, app: web.Application) -> None:
    async def responses(request: web.Request) -> web.StreamResponse:
        body, model = distribute(fake, request)
        validate_responses_request(request, body, model)
        reply = next_reply(fake, last_user_text(body))
        return await _ResponsesRun(fake, request, body, model, reply).run()

    app.router.add_post(PATH, responses)
