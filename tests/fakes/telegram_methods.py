"""State and synchronous Bot API method handlers of the fake Telegram server (see telegram_api.py).

Each ``api_<methodName>`` takes the decoded parameters and returns the ``result`` or raises ApiError.
Handlers validate everything first, then apply the flood limits (``flood_check``), then change state,
so a refused call never changes anything.
"""

from __future__ import annotations

import collections
import copy
import hashlib
import math
import mimetypes
import time
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from PIL import Image, UnidentifiedImageError

from tests.fakes.telegram_text import (
    MAX_CAPTION,
    MAX_TEXT,
    NOT_MODIFIED,
    ApiError,
    bad_request,
    check_commands,
    check_reply_markup,
    command_key,
    parse_text,
    utf16_len,
)

CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document choose_sticker "
    "find_location record_video_note upload_video_note".split()
)
MEDIA_KINDS = ("photo", "document", "voice", "audio", "video", "animation", "video_note")
_FOLDERS = {
    "photo": ("photos", ".jpg"),
    "document": ("documents", ""),
    "voice": ("voice", ".oga"),
    "audio": ("music", ".mp3"),
    "video": ("videos", ".mp4"),
    "animation": ("animations", ".mp4"),
    "video_note": ("video_notes", ".mp4"),
}
PHOTO_MAX = 10_000_000
UPLOAD_MAX = 50_000_000
DOWNLOAD_MAX = 20 << 20
_ACCEPT_ONLY = (
    "setMyDescription",
    "setMyShortDescription",
    "setMyName",
    "setMessageReaction",
    "pinChatMessage",
    "unpinChatMessage",
    "close",
    "logOut",
)
# What Telegram's flood control counts: calls that put or change a message in a chat (Telegram asks bots
# to treat edits like messages). Not drafts, chat actions, callback answers, reads or deletes. This fake
# does not implement copyMessage, forwardMessage and editMessageMedia (404): they are listed for when it does.
FLOOD_COUNTED = frozenset(
    "sendMessage sendPhoto sendDocument sendMediaGroup sendVoice sendAudio sendVideo sendAnimation copyMessage "
    "forwardMessage editMessageText editMessageCaption editMessageReplyMarkup editMessageMedia".split()
)


@dataclass
class Call:
    """One API request as received (params JSON-decoded, uploads as bytes) and how it was answered."""

    method: str
    params: dict[str, Any]
    time: float
    ok: bool = False
    status: int = 0  # 0 while still being handled (long polls); 499 if the client went away
    description: str | None = None
    result: Any = None
    chaos: str | None = None  # the fault FakeTelegram.chaos injected into this call (telegram_chaos.py)
    flood: str | None = None  # "chat", "group" or "global": the flood limit that refused it with 429


class FloodError(ApiError):
    """429 from a flood limit; ``scope`` is the window that was full ("chat", "group" or "global")."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)
        self.scope = scope


@dataclass
class StoredMessage:
    """A message in a chat as the fake server keeps it (``raw`` is the Bot API Message dict)."""

    message_id: int
    chat_id: int
    text: str | None  # text, or caption for media
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None  # inline keyboard only, as in a real Message
    kind: str  # "text", "photo", "document", "voice", "audio", "video", "animation"
    edits: int = 0
    thread_id: int | None = None
    reply_to: int | None = None
    file: bytes | None = None
    file_id: str | None = None
    media_group_id: str | None = None
    from_bot: bool = True
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str


class TelegramState:
    """Chats, messages, files, updates and the method handlers."""

    def __init__(self, bot_id: int, bot_username: str) -> None:
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Wenwen Test",
            "username": bot_username,
        }
        self.calls: list[Call] = []
        # Flood limits, all off unless set: (at most N calls, in any S seconds), sliding windows.
        self.flood_limit: tuple[int, float] | None = None  # each chat: message calls and drafts, one each
        self.global_flood_limit: tuple[int, float] | None = None  # all chats together: FLOOD_COUNTED calls
        self.group_flood_limit: tuple[int, float] | None = None  # each group/supergroup: FLOOD_COUNTED calls
        self.flood_refusals: list[Call] = []  # calls refused by a flood limit, in order (Call.flood: which)
        self.chats: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.updates: list[dict[str, Any]] = []  # queued, not yet confirmed through getUpdates offset
        self.open_queries: set[str] = set()
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        self._last_message_id: dict[int, int] = collections.defaultdict(int)
        self._flood: dict[int, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._flood_group: dict[int, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._flood_global: collections.deque[float] = collections.deque()
        self._counter = 0

    # ------------------------------------------------------------ helpers
    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def chat(self, chat_id: int, chat_type: str | None = None, first_name: str = "Alice") -> dict[str, Any]:
        """The Chat dict, created on first use (positive ids are private chats, negative ones groups)."""
        if chat_id not in self.chats:
            kind = chat_type or (
                "private" if chat_id > 0 else "supergroup" if chat_id < -1_000_000_000_000 else "group"
            )
            if (kind == "private") != (chat_id > 0):
                raise ValueError(f"chat {chat_id}: private chats need positive ids, groups negative ones")
            chat: dict[str, Any] = {"id": chat_id, "type": kind}
            if kind == "private":
                chat["first_name"] = first_name
            else:
                chat["title"] = f"Test {kind} {chat_id}"
            self.chats[chat_id] = chat
        return self.chats[chat_id]

    def new_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] += 1
        return self._last_message_id[chat_id]

    def enable_flood_control(self, per_second: int = 30, per_group_minute: int = 20) -> None:
        """Telegram's limits: ``per_second`` message calls over all chats in any second, and
        ``per_group_minute`` in one group in any minute (the per-chat ``flood_limit`` is left as it is)."""
        self.global_flood_limit = (per_second, 1.0)
        self.group_flood_limit = (per_group_minute, 60.0)

    def flood_check(self, chat_id: int, messages: int = 1, *, counted: bool = True) -> None:
        """Raise FloodError (429, retry_after) if a flood window is full, else count the call in each window.

        ``flood_limit`` counts every call made here once, drafts included. ``counted`` False (a draft):
        only ``flood_limit`` applies. ``messages`` is what the call weighs in the global and group windows
        (an album: one per item). A refused call is counted nowhere."""
        now = time.monotonic()
        windows: list[tuple[str, collections.deque[float], tuple[int, float], int]] = []
        if self.flood_limit is not None:
            windows.append(("chat", self._flood[chat_id], self.flood_limit, 1))
        if counted and self.group_flood_limit is not None and chat_id < 0:
            windows.append(("group", self._flood_group[chat_id], self.group_flood_limit, messages))
        if counted and self.global_flood_limit is not None:
            windows.append(("global", self._flood_global, self.global_flood_limit, messages))
        for scope, sent, (limit, period), weight in windows:
            while sent and now - sent[0] >= period:
                sent.popleft()
            if len(sent) + weight > limit:
                index = len(sent) + weight - limit - 1  # once this one leaves the window, the call fits
                frees_at = sent[index] + period if 0 <= index < len(sent) else now + period
                raise FloodError(scope, max(1, math.ceil(frees_at - now)))
        for _, sent, _, weight in windows:
            sent.extend([now] * weight)

    def register_file(
        self, content: bytes, kind: str, file_id: str | None = None, file_path: str | None = None
    ) -> StoredFile:
        n = self._next()
        folder, ext = _FOLDERS.get(kind, ("documents", ""))
        file_id = file_id or f"{kind[:3].upper()}-{n}-{hashlib.sha1(content).hexdigest()[:12]}"
        stored = StoredFile(
            file_id,
            "U" + hashlib.sha1(file_id.encode()).hexdigest()[:15],
            content,
            file_path or f"{folder}/file_{n}{ext}",
        )
        self.files[file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def store_message(self, msg: StoredMessage) -> StoredMessage:
        self.messages[(msg.chat_id, msg.message_id)] = msg
        return msg

    def base_message(
        self, chat_id: int, sender: dict[str, Any], thread_id: int | None, reply_to: StoredMessage | None
    ) -> dict[str, Any]:
        raw: dict[str, Any] = {
            "message_id": self.new_message_id(chat_id),
            "from": dict(sender),
            "chat": dict(self.chat(chat_id)),
            "date": int(time.time()),
        }
        if thread_id is not None:
            raw["message_thread_id"] = thread_id
            raw["is_topic_message"] = True
        if reply_to is not None:
            raw["reply_to_message"] = {k: copy.deepcopy(v) for k, v in reply_to.raw.items() if k != "reply_to_message"}
        return raw

    # ------------------------------------------------------------ parameter helpers
    @staticmethod
    def _chat_id(p: dict[str, Any]) -> int:
        value = p.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad_request("chat not found")
        return value

    @staticmethod
    def _text(
        p: dict[str, Any], name: str, parse_name: str, ents_name: str, limit: int, too_long: str
    ) -> tuple[str, list[dict[str, Any]]]:
        raw = p.get(name)
        text, ents = parse_text("" if raw is None else str(raw), p.get(parse_name), p.get(ents_name))
        if utf16_len(text) > limit:
            raise bad_request(too_long)
        return text, ents

    def _message_text(self, p: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text, ents = self._text(p, "text", "parse_mode", "entities", MAX_TEXT, "message is too long")
        if not text.strip():
            raise bad_request("message text is empty")
        return text, ents

    def _reply_target(self, chat_id: int, p: dict[str, Any]) -> tuple[int | None, StoredMessage | None]:
        thread = p.get("message_thread_id")
        if thread is not None and (not isinstance(thread, int) or thread <= 0):
            raise bad_request("message thread not found")
        params = p.get("reply_parameters")
        reply_id, allow = p.get("reply_to_message_id"), p.get("allow_sending_without_reply") is True
        if isinstance(params, dict):
            reply_id, allow = params.get("message_id"), params.get("allow_sending_without_reply") is True
        if reply_id is None:
            return thread, None
        target = self.messages.get((chat_id, reply_id)) if isinstance(reply_id, int) else None
        if target is None:
            if allow:
                return thread, None
            raise bad_request("message to be replied not found")
        return (target.thread_id if thread is None else thread), target

    def _target(self, p: dict[str, Any], what: str) -> StoredMessage:
        if p.get("inline_message_id") and p.get("chat_id") is None:
            raise bad_request("MESSAGE_ID_INVALID")
        chat_id = self._chat_id(p)
        message_id = p.get("message_id")
        if message_id is None or message_id == "":
            raise bad_request("message identifier is not specified")
        msg = self.messages.get((chat_id, message_id)) if isinstance(message_id, int) else None
        if msg is None:
            raise bad_request(f"message to {what} not found")
        if what == "edit" and not msg.from_bot:
            raise bad_request("message can't be edited")
        return msg

    def _input_file(self, value: Any, filename: Any, p: dict[str, Any], kind: str) -> tuple[bytes | None, str]:
        """An upload (bytes), ``attach://name``, a known file_id or an http(s) URL."""
        if isinstance(value, str) and value.startswith("attach://"):
            name = value[len("attach://") :]
            value, filename = p.get(name), p.get(f"{name}__filename")
            if not isinstance(value, bytes):
                raise bad_request(f"file {name} not found in the request")
        if isinstance(value, bytes):
            if not value:
                raise bad_request("file must be non-empty")
            return value, str(filename or f"{kind}.bin")
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {kind} in the request")
        if value.startswith(("http://", "https://")):
            return None, value.rsplit("/", 1)[-1] or kind
        known = self.files.get(value)
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return known.content, known.file_path.rsplit("/", 1)[-1]

    @staticmethod
    def _check_size(kind: str, content: bytes | None) -> None:
        if content is None:
            return
        if kind == "photo" and len(content) > PHOTO_MAX:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        if len(content) > UPLOAD_MAX:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo" and not _is_image(content):
            raise bad_request("IMAGE_PROCESS_FAILED")  # what Telegram answers for bytes it cannot decode as a picture

    def _media_fields(
        self, kind: str, content: bytes | None, name: str, given_id: str | None, p: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None]:
        stored = self.files.get(given_id) if given_id else None
        if stored is None and content is not None:
            stored = self.register_file(content, kind)
        ident: dict[str, Any] = {
            "file_id": stored.file_id if stored else f"URL-{self._next()}",
            "file_unique_id": stored.file_unique_id if stored else f"UU{self._next()}",
        }
        if content is not None:
            ident["file_size"] = len(content)
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        duration = p.get("duration") if isinstance(p.get("duration"), int) else 1
        if kind == "photo":
            return {"photo": [ident | {"width": 1280, "height": 960}]}, ident["file_id"]
        if kind == "voice":
            return {"voice": ident | {"duration": duration, "mime_type": "audio/ogg"}}, ident["file_id"]
        if kind == "video_note":  # round videos: square, no file name or mime type (Bot API VideoNote)
            return {"video_note": ident | {"length": 384, "duration": duration}}, ident["file_id"]
        if kind in ("video", "animation"):
            fields = {kind: ident | {"width": 640, "height": 480, "duration": duration, "file_name": name}}
            return fields | ({"document": fields[kind]} if kind == "animation" else {}), ident["file_id"]
        extra = {"duration": duration} if kind == "audio" else {}
        return {kind: ident | extra | {"file_name": name, "mime_type": mime}}, ident["file_id"]

    def _bot_message(
        self,
        chat_id: int,
        kind: str,
        text: str,
        ents: list[dict[str, Any]],
        markup: dict[str, Any] | None,
        thread: int | None,
        reply_to: StoredMessage | None,
        media: dict[str, Any] | None = None,
        file: bytes | None = None,
        file_id: str | None = None,
        group: str | None = None,
    ) -> StoredMessage:
        raw = self.base_message(chat_id, self.bot_user, thread, reply_to)
        if group:
            raw["media_group_id"] = group
        text_key, ents_key = ("text", "entities") if kind == "text" else ("caption", "caption_entities")
        raw.update(media or {})
        if text:
            raw[text_key] = text
        if ents:
            raw[ents_key] = ents
        inline = markup if markup and "inline_keyboard" in markup else None
        if inline:
            raw["reply_markup"] = inline
        return self.store_message(
            StoredMessage(
                raw["message_id"],
                chat_id,
                text or None,
                ents,
                inline,
                kind,
                thread_id=thread,
                reply_to=reply_to.message_id if reply_to else None,
                file=file,
                file_id=file_id,
                media_group_id=group,
                raw=raw,
            )
        )

    # ------------------------------------------------------------ messages
    def api_getMe(self, p: dict[str, Any]) -> Any:
        return self.bot_user | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def api_sendMessage(self, p: dict[str, Any]) -> Any:
        chat_id = self._chat_id(p)
        text, ents = self._message_text(p)
        markup = check_reply_markup(p.get("reply_markup"))
        thread, reply_to = self._reply_target(chat_id, p)
        self.chat(chat_id)
        self.flood_check(chat_id)
        return copy.deepcopy(self._bot_message(chat_id, "text", text, ents, markup, thread, reply_to).raw)

    def api_sendMessageDraft(self, p: dict[str, Any]) -> Any:
        chat_id = self._chat_id(p)
        draft_id = p.get("draft_id")
        if not isinstance(draft_id, int) or isinstance(draft_id, bool) or draft_id == 0:
            raise bad_request("draft_id must be non-zero")
        if chat_id <= 0:
            raise bad_request("method is available only for private chats")
        self._text(p, "text", "parse_mode", "entities", MAX_TEXT, "message is too long")
        self._reply_target(chat_id, {"message_thread_id": p.get("message_thread_id")})
        self.flood_check(chat_id, counted=False)
        return True

    def _apply_edit(
        self, msg: StoredMessage, text: str | None, ents: list[dict[str, Any]], markup: dict[str, Any] | None
    ) -> Any:
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        if (text, ents, markup) == (msg.text, msg.entities, msg.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        self.flood_check(msg.chat_id)
        text_key, ents_key = ("text", "entities") if msg.kind == "text" else ("caption", "caption_entities")
        msg.text, msg.entities, msg.reply_markup = text, ents, markup
        for key, value in ((text_key, text), (ents_key, ents), ("reply_markup", markup)):
            msg.raw.pop(key, None)
            if value:
                msg.raw[key] = value
        msg.raw["edit_date"] = int(time.time())
        msg.edits += 1
        return copy.deepcopy(msg.raw)

    def api_editMessageText(self, p: dict[str, Any]) -> Any:
        text, ents = self._message_text(p)
        markup = check_reply_markup(p.get("reply_markup"))
        msg = self._target(p, "edit")
        if msg.kind != "text":
            raise bad_request("there is no text in the message to edit")
        return self._apply_edit(msg, text, ents, markup)

    def api_editMessageCaption(self, p: dict[str, Any]) -> Any:
        text, ents = self._text(
            p, "caption", "parse_mode", "caption_entities", MAX_CAPTION, "message caption is too long"
        )
        markup = check_reply_markup(p.get("reply_markup"))
        msg = self._target(p, "edit")
        if msg.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        return self._apply_edit(msg, text or None, ents, markup)

    def api_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        markup = check_reply_markup(p.get("reply_markup"))
        msg = self._target(p, "edit")
        return self._apply_edit(msg, msg.text, msg.entities, markup)

    def api_deleteMessage(self, p: dict[str, Any]) -> Any:
        msg = self._target(p, "delete")
        del self.messages[(msg.chat_id, msg.message_id)]
        return True

    def api_deleteMessages(self, p: dict[str, Any]) -> Any:
        chat_id, ids = self._chat_id(p), p.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be an array of 1-100 message identifiers")
        for message_id in ids:
            self.messages.pop((chat_id, message_id), None)
        return True

    def api_sendChatAction(self, p: dict[str, Any]) -> Any:
        chat_id = self._chat_id(p)
        if p.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat(chat_id)
        return True

    def api_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        query_id = p.get("callback_query_id")
        if query_id not in self.open_queries:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        if len(str(p.get("text") or "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.open_queries.discard(str(query_id))
        return True

    # ------------------------------------------------------------ media and files
    def _send_media(self, p: dict[str, Any], kind: str) -> Any:
        chat_id = self._chat_id(p)
        content, name = self._input_file(p.get(kind), p.get(f"{kind}__filename"), p, kind)
        caption, ents = self._text(
            p, "caption", "parse_mode", "caption_entities", MAX_CAPTION, "message caption is too long"
        )
        self._check_size(kind, content)
        markup = check_reply_markup(p.get("reply_markup"))
        thread, reply_to = self._reply_target(chat_id, p)
        self.chat(chat_id)
        self.flood_check(chat_id)
        given = p.get(kind) if isinstance(p.get(kind), str) else None
        media, file_id = self._media_fields(kind, content, name, given, p)
        msg = self._bot_message(chat_id, kind, caption, ents, markup, thread, reply_to, media, content, file_id)
        return copy.deepcopy(msg.raw)

    def api_sendPhoto(self, p: dict[str, Any]) -> Any:
        return self._send_media(p, "photo")

    def api_sendDocument(self, p: dict[str, Any]) -> Any:
        return self._send_media(p, "document")

    def api_sendVoice(self, p: dict[str, Any]) -> Any:
        return self._send_media(p, "voice")

    def api_sendAudio(self, p: dict[str, Any]) -> Any:
        return self._send_media(p, "audio")

    def api_sendVideo(self, p: dict[str, Any]) -> Any:
        return self._send_media(p, "video")

    def api_sendAnimation(self, p: dict[str, Any]) -> Any:
        return self._send_media(p, "animation")

    def api_sendMediaGroup(self, p: dict[str, Any]) -> Any:
        chat_id, media = self._chat_id(p), p.get("media")
        if not isinstance(media, list) or not media:
            raise bad_request("media must be non-empty")
        if len(media) > 10:
            raise bad_request("too many messages to send as an album")
        if len(media) < 2:
            raise bad_request("media group must contain 2-10 items")
        items = []
        for item in media:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in ("photo", "video", "document", "audio"):
                raise bad_request("can't parse InputMedia JSON object")
            content, name = self._input_file(item.get("media"), None, p, kind)
            caption, ents = self._text(
                item, "caption", "parse_mode", "caption_entities", MAX_CAPTION, "message caption is too long"
            )
            self._check_size(kind, content)
            items.append((item, kind, content, name, caption, ents))
        kinds = {entry[1] for entry in items}
        if len(kinds) > 1 and kinds & {"document", "audio"}:
            raise bad_request("documents and audio can't be mixed with other media types in an album")
        thread, reply_to = self._reply_target(chat_id, p)
        self.chat(chat_id)
        self.flood_check(chat_id, len(items))  # each item is a message in the chat
        group, out = str(10_000_000 + self._next()), []
        for item, kind, content, name, caption, ents in items:
            given = item.get("media") if isinstance(item.get("media"), str) else None
            fields, file_id = self._media_fields(kind, content, name, given, item)
            msg = self._bot_message(
                chat_id, kind, caption, ents, None, thread, reply_to, fields, content, file_id, group
            )
            out.append(copy.deepcopy(msg.raw))
        return out

    def api_getFile(self, p: dict[str, Any]) -> Any:
        stored = self.files.get(str(p.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.content) > DOWNLOAD_MAX:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    # ------------------------------------------------------------ bot settings
    def api_setWebhook(self, p: dict[str, Any]) -> Any:
        url = str(p.get("url") or "")
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if p.get("drop_pending_updates") is True:
            self.updates.clear()
        self.webhook = {"url": url} | ({"secret_token": p["secret_token"]} if p.get("secret_token") else {})
        return True

    def api_deleteWebhook(self, p: dict[str, Any]) -> Any:
        if p.get("drop_pending_updates") is True:
            self.updates.clear()
        self.webhook = {"url": ""}
        return True

    def api_getWebhookInfo(self, p: dict[str, Any]) -> Any:
        return {"url": self.webhook["url"], "has_custom_certificate": False, "pending_update_count": len(self.updates)}

    def api_setMyCommands(self, p: dict[str, Any]) -> Any:
        commands = check_commands(p.get("commands"))
        key = command_key(p.get("scope"), p.get("language_code"))
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    def api_getMyCommands(self, p: dict[str, Any]) -> Any:
        return copy.deepcopy(self.commands.get(command_key(p.get("scope"), p.get("language_code")), []))

    def api_deleteMyCommands(self, p: dict[str, Any]) -> Any:
        self.commands.pop(command_key(p.get("scope"), p.get("language_code")), None)
        return True

    def api_setChatMenuButton(self, p: dict[str, Any]) -> Any:
        button = p.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
            raise bad_request("can't parse menu button JSON object")
        chat_id = self._chat_id(p) if p.get("chat_id") not in (None, "") else None
        self.menu_buttons[chat_id] = button
        return True

    def api_getChatMenuButton(self, p: dict[str, Any]) -> Any:
        chat_id = self._chat_id(p) if p.get("chat_id") not in (None, "") else None
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}
        return {"type": "commands"} if button["type"] == "default" else copy.deepcopy(button)

    def accept_only(self, p: dict[str, Any]) -> Any:
        """Methods that are only recorded: ``_ACCEPT_ONLY``."""
        return True

    def handlers(self) -> dict[str, Any]:
        table: dict[str, Any] = {name[4:]: getattr(self, name) for name in dir(self) if name.startswith("api_")}
        table.update(dict.fromkeys(_ACCEPT_ONLY, self.accept_only))
        return table


def _is_image(content: bytes) -> bool:
    """Whether Telegram could make a photo of these bytes: a picture format it decodes (sendPhoto)."""
    try:
        with Image.open(BytesIO(content)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False
    return True
