"""A strict fake Telegram Bot API server on real HTTP (aiohttp on 127.0.0.1, random port) for tests.

    fake = FakeTelegram()
    await fake.start()
    bot = telegram.Bot(fake.token, base_url=f"{fake.base_url}/bot", base_file_url=f"{fake.base_url}/file/bot")
    fake.send_text(42, "/start")               # queued for getUpdates
    await fake.wait_for(lambda: fake.chat_messages(42))
    await fake.stop()

Rules and exact error texts live in telegram_text.py (text, entities, markup) and telegram_methods.py
(method handlers and state). This module holds the HTTP server, request decoding, recording, fault
injection, getUpdates long polling and the test-driver API.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypedDict, Unpack
from urllib.parse import parse_qsl, unquote

from aiohttp import BodyPartReader, web

from tests.fakes.telegram_chaos import DROPPED_STATUS, ChaosMixin, Dropped, inject
from tests.fakes.telegram_inline import InlineMixin
from tests.fakes.telegram_members import MembersMixin
from tests.fakes.telegram_methods import (
    FLOOD_COUNTED,
    MEDIA_KINDS,
    Call,
    FloodError,
    StoredFile,
    StoredMessage,
    TelegramState,
)
from tests.fakes.telegram_text import ApiError, bad_request, command_key, utf16_len

__all__ = [
    "FLOOD_COUNTED",
    "ApiError",
    "Call",
    "FakeTelegram",
    "FloodError",
    "StoredFile",
    "StoredMessage",
    "utf16_len",
]

JSON_FIELDS = frozenset(
    "reply_markup entities caption_entities commands media allowed_updates link_preview_options "
    "reply_parameters scope menu_button results reaction message_ids options explanation_entities "
    "question_entities input_message_content rights button".split()
)
INT_FIELDS = frozenset(
    "chat_id message_id draft_id message_thread_id reply_to_message_id offset limit timeout from_chat_id "
    "user_id duration width height cache_time until_date".split()
)
BOOL_FIELDS = frozenset(
    "disable_notification protect_content show_alert drop_pending_updates allow_sending_without_reply "
    "has_spoiler disable_content_type_detection supports_streaming allow_paid_broadcast is_big "
    "disable_web_page_preview is_personal".split()
)
DEFAULT_GROUP_USER = 1001
_JSON_LABELS = {"reply_markup": "reply keyboard markup"}
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_CONFLICT = _DEFAULT_DESCRIPTIONS[409]
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
_COMMAND_AT_START = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_MENTION = re.compile(r"(?<![A-Za-z0-9_@/])@[A-Za-z0-9_]{5,32}(?![A-Za-z0-9_])")


@dataclass
class _Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    times: int
    chat_id: int | None


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    headers: dict[str, str] = {}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
        headers["Retry-After"] = str(retry_after)
    return web.json_response(body, status=status, headers=headers)


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def auto_entities(text: str) -> list[dict[str, Any]]:
    """bot_command at offset 0 and @mentions, with UTF-16 offsets, as the server adds to user messages."""
    found: list[dict[str, Any]] = []
    command = _COMMAND_AT_START.match(text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": utf16_len(command.group())})
    for m in _MENTION.finditer(text, command.end() if command else 0):
        found.append({"type": "mention", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())})
    return found


class UserMessageOptions(TypedDict, total=False):
    """Who sends a user message and where (:meth:`FakeTelegram.send_text` / ``send_media``).

    Defaults: ``user_id`` — the chat id in a private chat, else a fixed group member;
    ``chat_type`` "private"; ``language_code`` "en"; ``message_thread_id`` — the replied-to
    message's thread; ``reply_to_message_id`` None; ``first_name`` "Alice"."""

    user_id: int | None
    chat_type: str
    language_code: str
    message_thread_id: int | None
    reply_to_message_id: int | None
    first_name: str


class FakeTelegram(InlineMixin, TelegramState, ChaosMixin, MembersMixin):
    """Fake Bot API server plus the test driver (send_text, press_button, ...) and inspection helpers."""

    def __init__(
        self, token: str = "123456:TEST-token_abc", bot_id: int = 123456, bot_username: str = "wenwen_test_bot"
    ) -> None:
        super().__init__(bot_id, bot_username)
        self.token = token
        self.downloads: list[str] = []  # file paths requested from /file/bot<token>/..., found or not
        self._handlers = self.handlers()
        self._canonical = {name.lower(): name for name in [*self._handlers, "getUpdates"]}
        self._faults: list[_Fault] = []
        self._holds: dict[str, asyncio.Event] = {}  # method → answered only once the event is set
        self.on_poll: Callable[[dict[str, Any]], None] | None = None  # called as each getUpdates arrives
        self._changed = asyncio.Event()
        self._poller: web.Request | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._closing = False
        self._next_update_id = 1

    # ------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        if not self._port:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 << 20)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._changed, self._closing = asyncio.Event(), False
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0, handler_cancellation=True)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing = True  # pending long polls answer [] at once
        self._bump()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------ HTTP
    def _bump(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _wait_change(self, seconds: float) -> None:
        changed = self._changed
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await changed.wait()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = unquote(request.rel_url.raw_path)
        if path.startswith("/file/bot"):
            return self._download(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return _error(404, "Not Found")
        token, _, name = path[len("/bot") :].partition("/")
        method = self._canonical.get(name.lower(), name)
        call = Call(method, {}, asyncio.get_running_loop().time())
        self.calls.append(call)
        self._bump()
        try:
            result = await self._process(request, call, token)
        except ApiError as exc:
            if isinstance(exc, FloodError):
                call.flood = exc.scope
                self.flood_refusals.append(call)
            response = self._finish(call, exc.status, exc.description, None, exc.retry_after)
        except Dropped:
            response = self._finish(call, DROPPED_STATUS, "chaos: connection dropped before acting", None)
        except asyncio.CancelledError:
            call.status, call.description = 499, "client closed request"
            self._bump()
            raise
        except Exception as exc:  # a bug in the fake: make it visible in calls and summary()
            return self._finish(call, 500, f"Internal Server Error: fake crashed: {exc!r}", None)
        else:
            response = self._finish(call, 200, None, result)
        if call.chaos in ("drop_before", "drop_after") and request.transport is not None:
            request.transport.abort()  # no response: the client sees the connection close (a network error)
        return response

    async def _process(self, request: web.Request, call: Call, token: str) -> Any:
        call.params = await self._read_params(request)
        decode_error = self._convert(call.params)
        if token != self.token:
            raise ApiError(401, "Unauthorized") if re.fullmatch(r"\d+:[\w-]+", token) else ApiError(404, "Not Found")
        if call.method not in self._handlers and call.method != "getUpdates":
            raise ApiError(404, "Not Found")
        if decode_error is not None:
            raise decode_error
        for fault in self._faults:
            if fault.method.lower() == call.method.lower() and fault.chat_id in (None, call.params.get("chat_id")):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                raise ApiError(fault.status, fault.description, fault.retry_after)
        inject(self._chaos, call, self.chaos_faults)
        if call.method == "getUpdates":
            if self.on_poll is not None:
                self.on_poll(call.params)
            return await self._get_updates(request, call.params)
        held = self._holds.get(call.method)
        if held is not None:  # a slow Telegram: the call waits, then is carried out as usual
            await held.wait()
        return self._handlers[call.method](call.params)

    def _finish(
        self, call: Call, status: int, description: str | None, result: Any, retry_after: int | None = None
    ) -> web.Response:
        call.status, call.ok, call.description, call.result = status, status == 200, description, result
        self._bump()
        if status == 200:
            return web.json_response({"ok": True, "result": result})
        return _error(status, description or "", retry_after)

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    params[part.name] = bytes(await part.read())
                    params[f"{part.name}__filename"] = part.filename
                else:
                    params[part.name] = await part.text()
            return params
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        if not body:
            return params
        if request.content_type == "application/json":
            try:
                data = json.loads(body)
            except ValueError:
                raise bad_request("can't parse JSON encoded request") from None
            if not isinstance(data, dict):
                raise bad_request("can't parse JSON encoded request")
            params.update(data)
        else:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return params

    @staticmethod
    def _convert(params: dict[str, Any]) -> ApiError | None:
        """JSON-decode object fields, turn numeric/boolean strings into int/bool; return the first error."""
        error: ApiError | None = None
        for key, value in list(params.items()):
            if not isinstance(value, str) or value == "":
                continue
            if key in JSON_FIELDS:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    error = error or bad_request(f"can't parse {_JSON_LABELS.get(key, key)} JSON object")
            elif key in INT_FIELDS and re.fullmatch(r"-?\d+", value.strip()):
                params[key] = int(value)
            elif key in BOOL_FIELDS and value.lower() in ("true", "false", "1", "0"):
                params[key] = value.lower() in ("true", "1")
        return error

    def _download(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return _error(401, "Unauthorized")
        self.downloads.append(file_path)
        self._bump()
        stored = self.files_by_path.get(file_path)
        if stored is None:
            return _error(404, "Not Found")
        return web.Response(body=stored.content, content_type="application/octet-stream")

    async def _get_updates(self, request: web.Request, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook["url"]:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        if self._poller is not None and self._poller is not request and not _gone(self._poller):
            raise ApiError(409, _CONFLICT)
        self._poller = request  # a poll whose client went away is superseded and answers 409
        try:
            offset = p["offset"] if isinstance(p.get("offset"), int) else 0
            limit = min(max(p["limit"] if isinstance(p.get("limit"), int) else 100, 1), 100)
            try:
                timeout = max(0.0, float(p.get("timeout") or 0))
            except (TypeError, ValueError):
                timeout = 0.0
            if offset > 0:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            elif offset < 0:
                self.updates = self.updates[offset:]
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while True:
                if self._poller is not request:
                    raise ApiError(409, _CONFLICT)
                if self.updates or self._closing:
                    return copy.deepcopy(self.updates[:limit])
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                await self._wait_change(remaining)
        finally:
            if self._poller is request:
                self._poller = None

    # ------------------------------------------------------------ driving the bot
    @property
    def next_update_id(self) -> int:
        """The update_id the next pushed update gets (updates already fetched have smaller ids)."""
        return self._next_update_id

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue a raw update for getUpdates; ``update_id`` is assigned if missing."""
        update = copy.deepcopy(update)
        update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        self.updates.append(update)
        self._bump()

    def _sender(
        self, chat_id: int, chat_type: str, user_id: int | None, language_code: str, first_name: str
    ) -> dict[str, Any]:
        if chat_type not in ("private", "group", "supergroup"):
            raise ValueError(f"unsupported chat_type {chat_type!r}")
        chat = self.chat(chat_id, chat_type, first_name)
        if chat["type"] != chat_type:
            raise ValueError(f"chat {chat_id} is a {chat['type']} chat, not {chat_type}")
        if user_id is None:
            user_id = chat_id if chat_type == "private" else DEFAULT_GROUP_USER
        if chat_type == "private" and user_id != chat_id:
            raise ValueError("in a private chat the user id equals the chat id")
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
        self.users[user_id] = user
        return user

    def _user_message(
        self,
        chat_id: int,
        kind: str,
        fields: dict[str, Any],
        text: str | None,
        ents: list[dict[str, Any]],
        file: bytes | None,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        language_code: str = "en",
        message_thread_id: int | None = None,
        reply_to_message_id: int | None = None,
        first_name: str = "Alice",
    ) -> int:
        """Store a message from a user and queue its update; the keywords are :class:`UserMessageOptions`."""
        sender = self._sender(chat_id, chat_type, user_id, language_code, first_name)
        if message_thread_id is not None and chat_type == "supergroup":
            self.chats[chat_id]["is_forum"] = True
        reply_to = None
        if reply_to_message_id is not None:
            reply_to = self.messages.get((chat_id, reply_to_message_id))
            if reply_to is None:
                raise KeyError(f"no message {reply_to_message_id} in chat {chat_id} to reply to")
        thread = message_thread_id if message_thread_id is not None else reply_to.thread_id if reply_to else None
        raw = self.base_message(chat_id, sender, thread, reply_to) | fields
        self.store_message(
            StoredMessage(
                raw["message_id"],
                chat_id,
                text,
                ents,
                None,
                kind,
                thread_id=thread,
                reply_to=reply_to.message_id if reply_to else None,
                file=file,
                file_id=None,
                media_group_id=fields.get("media_group_id"),
                from_bot=False,
                raw=raw,
            )
        )
        self.push_update({"message": raw})
        return int(raw["message_id"])

    def send_text(self, chat_id: int, text: str, **options: Unpack[UserMessageOptions]) -> int:
        """A user writes ``text``; returns the new message_id."""
        ents = auto_entities(text)
        fields: dict[str, Any] = {"text": text} | ({"entities": ents} if ents else {})
        return self._user_message(chat_id, "text", fields, text, ents, None, **options)

    def send_media(
        self,
        chat_id: int,
        kind: str,
        content: bytes,
        *,
        caption: str | None = None,
        file_name: str | None = None,
        media_group_id: str | None = None,
        media_fields: dict[str, Any] | None = None,
        **options: Unpack[UserMessageOptions],
    ) -> int:
        """A user sends a photo/voice/document/audio/video/animation; the file is registered for getFile.

        ``media_fields`` change the media object (not for photos): ``{"mime_type": "image/png"}``
        sets a field, ``{"mime_type": None}`` removes it."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"kind must be one of {MEDIA_KINDS}")
        stored = self.register_file(content, kind)
        name = file_name or stored.file_path.rsplit("/", 1)[-1]
        fields, _ = self._media_fields(kind, content, name, stored.file_id, {})
        if media_fields:
            if kind == "photo":
                raise ValueError("media_fields cannot change a photo (a list of sizes)")
            for key, value in media_fields.items():
                fields[kind].pop(key, None)
                if value is not None:
                    fields[kind][key] = value
        ents = auto_entities(caption or "")
        if caption:
            fields["caption"] = caption
        if ents:
            fields["caption_entities"] = ents
        if media_group_id:
            fields["media_group_id"] = media_group_id
        return self._user_message(chat_id, kind, fields, caption, ents, content, **options)

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        language_code: str = "en",
        allow_unknown_data: bool = False,
        inaccessible: bool = False,
    ) -> str:
        """A user taps an inline button of a stored message; returns the callback query id.

        ``inaccessible``: the query carries an InaccessibleMessage (chat, message_id, date 0), as
        Telegram sends for messages older than 48 hours."""
        msg = self.messages.get((chat_id, message_id))
        if msg is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        rows = (msg.reply_markup or {}).get("inline_keyboard", [])
        datas = [b.get("callback_data") for row in rows for b in row]
        if data not in datas and not allow_unknown_data:
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}: {datas}")
        chat = self.chat(chat_id)
        if user_id is None:
            user_id = chat_id if chat["type"] == "private" else DEFAULT_GROUP_USER
        user = self.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "Alice"}
        user = user | {"language_code": language_code}
        self.users[user_id] = user
        query_id = str(4_000_000_000_000_000_000 + self._next())
        self.open_queries.add(query_id)
        self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": (
                        {"chat": dict(self.chat(chat_id)), "message_id": message_id, "date": 0}
                        if inaccessible
                        else copy.deepcopy(msg.raw)
                    ),
                    "chat_instance": str(7_000_000_000 + abs(chat_id)),
                    "data": data,
                }
            }
        )
        return query_id

    def add_file(self, file_id: str, content: bytes, file_path: str) -> None:
        """Make ``file_id`` known to getFile and ``file_path`` downloadable."""
        self.register_file(content, "document", file_id=file_id, file_path=file_path)

    # ------------------------------------------------------------ inspection
    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def chat_messages(self, chat_id: int, thread_id: int | None = None) -> list[StoredMessage]:
        """Messages the bot sent to the chat that still exist, oldest first (thread_id=None: all threads)."""
        return sorted(
            (
                m
                for m in self.messages.values()
                if m.chat_id == chat_id and m.from_bot and (thread_id is None or m.thread_id == thread_id)
            ),
            key=lambda m: m.message_id,
        )

    def get_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        """Any stored message (bot's or user's) that still exists."""
        return self.messages.get((chat_id, message_id))

    def drafts(self, chat_id: int) -> list[Call]:
        """Successful sendMessageDraft calls for the chat, in order."""
        return [c for c in self.calls_of("sendMessageDraft") if c.ok and c.params.get("chat_id") == chat_id]

    def commands_for(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, str]]:
        return copy.deepcopy(self.commands.get(command_key(scope, language_code), []))

    def summary(self, last: int = 15) -> str:
        recent = [c for c in self.calls if c.method != "getUpdates"][-last:]
        polls = sum(c.method == "getUpdates" for c in self.calls)
        lines = [f"last {len(recent)} calls (+{polls} getUpdates, {len(self.updates)} updates queued):"]
        for c in recent:
            params = {k: f"<{len(v)} bytes>" if isinstance(v, bytes) else v for k, v in c.params.items()}
            shown = repr(params)
            lines.append(f"  {c.method} -> {c.status} {c.description or ''} {shown[:300]}")
        return "\n".join(lines)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until ``predicate()`` is true; re-checked on every recorded call and update."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"wait_for: condition not met within {timeout}s; {self.summary()}")
            await self._wait_change(remaining)

    # ------------------------------------------------------------ fault injection
    def hold(self, method: str) -> asyncio.Event:
        """Calls of ``method`` wait until the returned event is set (then are answered as usual)."""
        event = self._holds[method] = asyncio.Event()
        return event

    def fail_next(
        self,
        method: str,
        *,
        status: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` (to ``chat_id`` if given) fail; rules apply in order.

        A 429 always carries retry_after (default 1) and the Retry-After header, like the real server.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
            )
        self._faults.append(_Fault(method, status, description, retry_after, times, chat_id))
