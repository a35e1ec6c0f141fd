"""Inline mode for the fake Telegram: inline queries, ``answerInlineQuery``, chosen results, inline messages.

    tg.enable_inline(feedback=True)                   # BotFather: /setinline, /setinlinefeedback 100%
    query_id = tg.send_inline_query(1001, "what is 2+2?")
    await tg.wait_for(lambda: tg.inline_answer(query_id) is not None)
    inline_id = tg.choose_inline_result(query_id, tg.inline_answer(query_id).results[0]["id"])
    await tg.wait_for(lambda: "4" in (tg.inline_messages[inline_id].text or ""))

As strict as the real server where its behaviour is known: a query is answered once, within
INLINE_QUERY_TIMEOUT seconds; results are checked (at most 50, ids unique and 1-64 bytes, an article
needs a title and an input_message_content whose text fits a message); only a result that was offered
can be chosen, and only a result with an inline keyboard gets an ``inline_message_id`` (the id the
bot edits the message by). Without inline mode no query reaches the bot; without inline feedback
the message is sent but no ``chosen_inline_result`` comes. Error texts follow the Bot API server
where known (``can't parse inline query result: …``, ``RESULT_ID_DUPLICATE``, ``RESULTS_TOO_MUCH``).
"""

from __future__ import annotations

import base64
import copy
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_text import (
    MAX_TEXT,
    NOT_MODIFIED,
    ApiError,
    bad_request,
    check_reply_markup,
    parse_text,
    utf16_len,
)

INLINE_QUERY_TIMEOUT = 10.0  # seconds a bot has to answer an inline query
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
MAX_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_RESULT_TYPES = frozenset(
    "article photo gif mpeg4_gif video audio voice document location venue contact game sticker".split()
)
INLINE_CHAT_BASE = 10**15  # flood windows of inline message n are kept as those of "chat" INLINE_CHAT_BASE + n


@dataclass
class InlineQueryState:
    """One inline query sent to the bot and how it was answered."""

    query_id: str
    user: dict[str, Any]
    query: str
    sent_at: float
    answered: bool = False
    results: list[dict[str, Any]] = field(default_factory=list)
    button: dict[str, Any] | None = None
    cache_time: int | None = None
    is_personal: bool = False


@dataclass
class InlineMessage:
    """A message sent through the bot in inline mode (the fake keeps no chat for it)."""

    inline_message_id: str
    number: int
    text: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    edits: int = 0
    user_id: int = 0
    history: list[str] = field(default_factory=list)  # every text it showed, in order


def _bad_result(reason: str) -> ApiError:
    return bad_request(f"can't parse inline query result: {reason}")


def _check_result(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise _bad_result("InlineQueryResult must be an Object")
    if result.get("type") not in _RESULT_TYPES:
        raise _bad_result(f'type "{result.get("type", "")}" is unsupported for the inline query result')
    result_id = result.get("id")
    if not isinstance(result_id, str):
        raise _bad_result('Field "id" must be of type String')
    if not 1 <= len(result_id.encode("utf-8")) <= MAX_RESULT_ID_BYTES:
        raise bad_request("RESULT_ID_INVALID")
    check_reply_markup(result.get("reply_markup"))
    if result["type"] == "article":
        if not isinstance(result.get("title"), str) or not result["title"].strip():
            raise _bad_result('Field "title" must be of type String')
        content = result.get("input_message_content")
        if not isinstance(content, dict):
            raise _bad_result('Field "input_message_content" must be of type Object')
        _content_text(content)
    return result


def _content_text(content: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The text an InputTextMessageContent sends, checked like a sendMessage text."""
    raw = content.get("message_text")
    if not isinstance(raw, str):
        raise _bad_result('Field "message_text" must be of type String')
    text, ents = parse_text(raw, content.get("parse_mode"), content.get("entities"))
    if not text.strip():
        raise bad_request("MESSAGE_EMPTY")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("MESSAGE_TOO_LONG")
    return text, ents


def _check_button(button: Any) -> dict[str, Any] | None:
    if button is None or button == "":
        return None
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse InlineQueryResultsButton: Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    has_start, has_app = "start_parameter" in button, "web_app" in button
    if has_start == has_app:
        raise bad_request("can't parse InlineQueryResultsButton: exactly one of start_parameter and web_app expected")
    if has_start and not _START_PARAMETER.fullmatch(str(button["start_parameter"])):
        raise bad_request("START_PARAM_INVALID")
    return button


class InlineMixin:
    """Inline mode: the test driver (``send_inline_query``, ``choose_inline_result``) and the methods."""

    users: dict[int, dict[str, Any]]
    bot_user: dict[str, Any]
    open_queries: set[str]

    if TYPE_CHECKING:  # provided by TelegramState / FakeTelegram

        def push_update(self, update: dict[str, Any]) -> None: ...
        def flood_check(self, chat_id: int, messages: int = 1, *, counted: bool = True) -> None: ...
        def _next(self) -> int: ...
        def api_getMe(self, p: dict[str, Any]) -> Any: ...
        def api_editMessageText(self, p: dict[str, Any]) -> Any: ...
        def api_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any: ...

    inline_mode = False  # BotFather /setinline
    inline_feedback = False  # BotFather /setinlinefeedback

    def _inline(self) -> tuple[dict[str, InlineQueryState], dict[str, InlineMessage]]:
        state = self.__dict__.get("_inline_state_")
        if state is None:
            state = self.__dict__["_inline_state_"] = ({}, {})
        return state  # type: ignore[no-any-return]

    @property
    def inline_queries(self) -> dict[str, InlineQueryState]:
        return self._inline()[0]

    @property
    def inline_messages(self) -> dict[str, InlineMessage]:
        """Messages sent in inline mode, by inline_message_id."""
        return self._inline()[1]

    # ------------------------------------------------------------ test API
    def enable_inline(self, *, feedback: bool = True) -> None:
        """Inline mode on (and inline feedback, so chosen results are reported to the bot)."""
        self.inline_mode, self.inline_feedback = True, feedback

    def send_inline_query(
        self, user_id: int, query: str, *, language_code: str = "en", chat_type: str = "sender", offset: str = ""
    ) -> str:
        """A user types ``@bot query`` somewhere; returns the inline query id."""
        if not self.inline_mode:
            raise ValueError("inline mode is off for this bot (BotFather /setinline): Telegram sends no query")
        if len(query) > 256:
            raise ValueError("Telegram sends at most 256 characters of an inline query")
        user = self.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "Alice"}
        user = user | {"language_code": language_code}
        self.users[user_id] = user
        query_id = str(5_000_000_000_000_000_000 + self._next())
        self.inline_queries[query_id] = InlineQueryState(query_id, dict(user), query, time.monotonic())
        update = {"id": query_id, "from": dict(user), "query": query, "offset": offset, "chat_type": chat_type}
        self.push_update({"inline_query": update})
        return query_id

    def inline_answer(self, query_id: str) -> InlineQueryState | None:
        """The query once the bot answered it, else None."""
        state = self.inline_queries.get(query_id)
        return state if state is not None and state.answered else None

    def choose_inline_result(self, query_id: str, result_id: str) -> str | None:
        """The user taps a result the bot offered: the message is sent; returns its inline_message_id
        (None when the result had no inline keyboard). The bot hears of it only with inline feedback on."""
        state = self.inline_answer(query_id)
        if state is None:
            raise ValueError(f"inline query {query_id} was not answered")
        result = next((r for r in state.results if r["id"] == result_id), None)
        if result is None:
            raise ValueError(f"result {result_id!r} was not offered: {[r['id'] for r in state.results]}")
        inline_id = None
        if result.get("reply_markup"):
            number = self._next()
            inline_id = base64.urlsafe_b64encode(f"inline-{number}".encode()).decode().rstrip("=")
            content = result.get("input_message_content") or {}
            text, ents = _content_text(content) if "message_text" in content else (None, [])
            self.inline_messages[inline_id] = InlineMessage(
                inline_id, number, text, ents, copy.deepcopy(result["reply_markup"]), user_id=state.user["id"]
            )
            if text:
                self.inline_messages[inline_id].history.append(text)
        if self.inline_feedback:
            chosen: dict[str, Any] = {"result_id": result_id, "from": dict(state.user), "query": state.query}
            if inline_id is not None:
                chosen["inline_message_id"] = inline_id
            self.push_update({"chosen_inline_result": chosen})
        return inline_id

    def press_inline_button(self, inline_message_id: str, data: str, *, user_id: int | None = None) -> str:
        """Someone taps a callback button of an inline message (anyone in that chat may); returns the query id."""
        message = self.inline_messages.get(inline_message_id)
        if message is None:
            raise KeyError(f"no inline message {inline_message_id}")
        rows = (message.reply_markup or {}).get("inline_keyboard", [])
        datas = [b.get("callback_data") for row in rows for b in row]
        if data not in datas:
            raise ValueError(f"inline message {inline_message_id} has no button with callback_data {data!r}: {datas}")
        user_id = message.user_id if user_id is None else user_id
        user = self.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "Alice"}
        query_id = str(4_500_000_000_000_000_000 + self._next())
        self.open_queries.add(query_id)
        query = {"id": query_id, "from": dict(user), "inline_message_id": inline_message_id, "data": data}
        self.push_update({"callback_query": query | {"chat_instance": str(8_000_000_000 + message.number)}})
        return query_id

    # ------------------------------------------------------------ Bot API methods
    def api_answerInlineQuery(self, p: dict[str, Any]) -> Any:
        state = self.inline_queries.get(str(p.get("inline_query_id") or ""))
        if state is None or state.answered or time.monotonic() - state.sent_at > INLINE_QUERY_TIMEOUT:
            raise bad_request(QUERY_INVALID)
        results = p.get("results")
        if not isinstance(results, list):
            raise bad_request("can't parse inline query results JSON object")
        if len(results) > MAX_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        checked = [_check_result(result) for result in results]
        ids = [result["id"] for result in checked]
        if len(set(ids)) != len(ids):
            raise bad_request("RESULT_ID_DUPLICATE")
        button = _check_button(p.get("button"))
        cache_time = p.get("cache_time")
        if cache_time is not None and (not isinstance(cache_time, int) or cache_time < 0):
            raise bad_request("can't parse cache_time")
        state.answered, state.results, state.button = True, copy.deepcopy(checked), copy.deepcopy(button)
        state.cache_time, state.is_personal = cache_time, p.get("is_personal") is True
        return True

    def api_getMe(self, p: dict[str, Any]) -> Any:
        return super().api_getMe(p) | {"supports_inline_queries": self.inline_mode}  # type: ignore[misc]

    def api_editMessageText(self, p: dict[str, Any]) -> Any:
        if p.get("chat_id") not in (None, "") or not p.get("inline_message_id"):
            return super().api_editMessageText(p)  # type: ignore[misc]
        raw = p.get("text")
        text, ents = parse_text("" if raw is None else str(raw), p.get("parse_mode"), p.get("entities"))
        if utf16_len(text) > MAX_TEXT:
            raise bad_request("message is too long")
        if not text.strip():
            raise bad_request("message text is empty")
        markup = check_reply_markup(p.get("reply_markup"))
        return self._edit_inline(p, text, ents, markup)

    def api_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        if p.get("chat_id") not in (None, "") or not p.get("inline_message_id"):
            return super().api_editMessageReplyMarkup(p)  # type: ignore[misc]
        markup = check_reply_markup(p.get("reply_markup"))
        message = self._inline_message(p)
        return self._edit_inline(p, message.text, message.entities, markup)

    # ------------------------------------------------------------ internals
    def _inline_message(self, p: dict[str, Any]) -> InlineMessage:
        message = self.inline_messages.get(str(p.get("inline_message_id")))
        if message is None:
            raise bad_request("MESSAGE_ID_INVALID")
        return message

    def _edit_inline(
        self, p: dict[str, Any], text: str | None, ents: list[dict[str, Any]], markup: dict[str, Any] | None
    ) -> Any:
        message = self._inline_message(p)
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        if (text, ents, markup) == (message.text, message.entities, message.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        self.flood_check(INLINE_CHAT_BASE + message.number)
        message.text, message.entities, message.reply_markup = text, ents, markup
        message.edits += 1
        if text is not None and (not message.history or message.history[-1] != text):
            message.history.append(text)
        return True  # an inline message is not a Message the bot may see: the result is True
