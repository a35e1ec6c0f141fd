"""Text, entity, reply-markup and command rules of the fake Telegram Bot API.

Error texts follow the official server (tdlib/telegram-bot-api and TDLib's MessageEntity.cpp) where known.
Every function raises :class:`ApiError`; the server turns it into ``{"ok": false, ...}``.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_RAW_TEXT_BYTES = 32768
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
ENTITY_TYPES = frozenset(
    "mention hashtag cashtag bot_command url email phone_number bold italic underline strikethrough spoiler "
    "blockquote expandable_blockquote code pre text_link text_mention custom_emoji date_time".split()
)
_ENTITY_KEYS = (
    "type",
    "offset",
    "length",
    "url",
    "user",
    "language",
    "custom_emoji_id",
    "unix_time",
    "date_time_format",
)
_BUTTON_ACTIONS = frozenset(
    "url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat "
    "switch_inline_query_chosen_chat copy_text callback_game pay".split()
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANG_RE = re.compile(r"(?:[a-z]{2})?")
_SCOPES = frozenset(
    "default all_private_chats all_group_chats all_chat_administrators chat chat_administrators chat_member".split()
)


class ApiError(Exception):
    """A Bot API error answer: HTTP status == error_code, description, optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


class _ParseError(Exception):
    pass


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _tail_utf16(text: str, units: int) -> str:
    raw = text.encode("utf-16-le", "surrogatepass")
    return raw[len(raw) - 2 * units :].decode("utf-16-le", "surrogatepass")


def normalize_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep known keys, drop empty entities, sort like the server (offset, then longer first)."""
    out = [{k: e[k] for k in _ENTITY_KEYS if e.get(k) is not None} for e in entities if e["length"] > 0]
    out.sort(key=lambda e: (e["offset"], -e["length"]))
    return out[:100]


def check_entities(text: str, entities: Any) -> list[dict[str, Any]]:
    if entities is None or entities == "":
        return []
    if not isinstance(entities, list):
        raise bad_request("can't parse entities JSON object")
    size = utf16_len(text)
    for ent in entities:
        if not isinstance(ent, dict) or not isinstance(ent.get("type"), str):
            raise bad_request('can\'t parse MessageEntity: Field "type" must be of type String')
        for key in ("offset", "length"):
            if not isinstance(ent.get(key), int) or isinstance(ent.get(key), bool):
                raise bad_request(f'can\'t parse MessageEntity: Field "{key}" must be of type Number')
        if ent["type"] not in ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity: Unsupported type specified")
        offset, length = ent["offset"], ent["length"]
        if offset < 0 or length < 0 or offset + length > size:
            raise bad_request(
                f"can't parse entities: entity beginning at UTF-16 offset {offset} ends after the end of the text"
            )
        if ent["type"] == "text_link" and not isinstance(ent.get("url"), str):
            raise bad_request('can\'t parse MessageEntity: Field "url" must be of type String')
    return normalize_entities(entities)


def parse_text(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[dict[str, Any]]]:
    """Apply parse_mode (then ``entities`` are ignored, like the real server) or validate ``entities``."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_RAW_TEXT_BYTES:
        raise bad_request("text is too long")
    mode = parse_mode.strip().lower() if isinstance(parse_mode, str) else ""
    if not mode:
        return text, check_entities(text, entities)
    parsers = {"html": _parse_html, "markdownv2": _parse_markdown_v2, "markdown": _parse_markdown}
    if mode not in parsers:
        raise bad_request("unsupported parse_mode")
    try:
        plain, found = parsers[mode](text)
    except _ParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    return plain, normalize_entities(found)


class _Out:
    """Accumulates the plain text and tracks its UTF-16 length."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0

    def add(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.pos += utf16_len(chunk)

    def text(self) -> str:
        return "".join(self.parts)


# ---------------------------------------------------------------- HTML
_HTML_TAGS = frozenset("a b strong i em u ins s strike del tg-spoiler span code pre blockquote tg-emoji".split())
_HTML_KIND = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'", "nbsp": "\u00a0"}
_HTML_ENTITY_RE = re.compile(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z0-9_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")


def _html_char(ref: str) -> str | None:
    if ref.startswith("#"):
        code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
        return chr(code) if 0 < code < 0x110000 else None
    return _HTML_NAMED.get(ref)


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Out()
    stack: list[tuple[str, int, dict[str, str]]] = []
    found: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            m = _HTML_ENTITY_RE.match(text, i)
            decoded = _html_char(m.group(1)) if m else None
            if m and decoded is not None:
                out.add(decoded)
                i = m.end()
            else:
                out.add("&")
                i += 1
            continue
        if ch != "<":
            out.add(ch)
            i += 1
            continue
        where = _byte_offset(text, i)
        j = i + (2 if text.startswith("</", i) else 1)
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if text.startswith("</", i):
            if not stack:
                raise _ParseError(f"Unexpected end tag at byte offset {where}")
            name = text[i + 2 : j].lower()
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != ">":
                raise _ParseError(f"Unclosed end tag at byte offset {where}")
            tag, start, attrs = stack.pop()
            if name and name != tag:
                raise _ParseError(f'Unmatched end tag at byte offset {where}, expected "</{tag}>", found "</{name}>"')
            _close_html(tag, attrs, start, out.pos, stack, found)
            i = j + 1
            continue
        if j >= n:
            raise _ParseError(f"Unclosed start tag at byte offset {where}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise _ParseError(f'Unsupported start tag "{name}" at byte offset {where}')
        attrs: dict[str, str] = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise _ParseError(f"Unclosed start tag at byte offset {where}")
            if text[j] == ">":
                break
            m = _ATTR_RE.match(text, j)
            if not m or m.end() == j:
                raise _ParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" at byte offset {where}'
                )
            attrs[m.group(1).lower()] = next((g for g in m.groups()[1:] if g is not None), "")
            j = m.end()
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {where}')
        stack.append((name, out.pos, attrs))
        i = j + 1
    if stack:
        raise _ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.text(), found


def _close_html(
    tag: str,
    attrs: dict[str, str],
    start: int,
    end: int,
    stack: list[tuple[str, int, dict[str, str]]],
    found: list[dict[str, Any]],
) -> None:
    ent: dict[str, Any] = {"offset": start, "length": end - start}
    if tag == "code" and stack and stack[-1][0] == "pre":
        if stack[-1][1] == start and attrs.get("class", "").startswith("language-"):
            stack[-1][2]["language"] = attrs["class"][len("language-") :]
        return  # code inside pre is merged into the pre entity
    if tag == "a":
        href = attrs.get("href", "")
        if href.startswith("tg://user?id=") and href[13:].isdigit():
            ent.update(type="text_mention", user={"id": int(href[13:]), "is_bot": False, "first_name": ""})
        elif href:
            ent.update(type="text_link", url=href)
        else:
            return
    elif tag == "blockquote":
        ent["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    elif tag == "tg-emoji":
        ent.update(type="custom_emoji", custom_emoji_id=attrs.get("emoji-id", ""))
    else:
        ent["type"] = _HTML_KIND[tag]
        if tag == "pre" and attrs.get("language"):
            ent["language"] = attrs["language"]
    found.append(ent)


# ---------------------------------------------------------------- MarkdownV2
_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


def _parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Out()
    stack: list[tuple[str, int, int, str]] = []  # kind, utf16 start, byte offset, pre language
    found: list[dict[str, Any]] = []
    quote_start: int | None = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        top = stack[-1][0] if stack else None
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        if top in ("code", "pre"):
            closer = "```" if top == "pre" else "`"
            if text.startswith(closer, i):
                kind, start, _, lang = stack.pop()
                found.append({"type": kind, "offset": start, "length": out.pos - start, "language": lang or None})
                i += len(closer)
            else:
                out.add(ch)
                i += 1
            continue
        if ch == "\n":
            if quote_start is not None and not text.startswith(">", i + 1):
                found.append({"type": "blockquote", "offset": quote_start, "length": out.pos - quote_start})
                quote_start = None
            out.add(ch)
            i += 1
            continue
        if ch not in _MDV2_RESERVED:
            out.add(ch)
            i += 1
            continue
        where = _byte_offset(text, i)
        if ch == ">" and (i == 0 or text[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out.pos
            i += 1
            continue
        if ch == "[":
            stack.append(("text_link", out.pos, where, ""))
            i += 1
            continue
        if ch == "]" and top == "text_link":
            _, start, _, _ = stack.pop()
            url = _tail_utf16(out.text(), out.pos - start)  # "[text]" without "(url)" links to the text
            i += 1
            if i < n and text[i] == "(":
                j, chars = i + 1, []
                while j < n and text[j] != ")":
                    if text[j] == "\\" and j + 1 < n and 0 < ord(text[j + 1]) <= 126:
                        j += 1
                    chars.append(text[j])
                    j += 1
                if j >= n:
                    raise _ParseError(f"Can't find end of a url at byte offset {_byte_offset(text, i)}")
                url, i = "".join(chars), j + 1
            found.append({"type": "text_link", "offset": start, "length": out.pos - start, "url": url})
            continue
        if ch == "_":
            kind, size = ("underline", 2) if text.startswith("__", i) else ("italic", 1)
        elif ch == "*":
            kind, size = "bold", 1
        elif ch == "~":
            kind, size = "strikethrough", 1
        elif ch == "|" and text.startswith("||", i):
            kind, size = "spoiler", 2
        elif ch == "`":
            kind, size = ("pre", 3) if text.startswith("```", i) else ("code", 1)
        else:
            raise _ParseError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        if top == kind:
            _, start, _, _ = stack.pop()
            found.append({"type": kind, "offset": start, "length": out.pos - start})
            i += size
            continue
        if any(entry[0] == kind for entry in stack):
            assert top is not None
            raise _ParseError(f"Can't find end of {_MDV2_NAMES[top]} entity at byte offset {stack[-1][2]}")
        i += size
        lang = ""
        if kind == "pre":
            newline = text.find("\n", i)
            first_line = text[i:newline] if newline != -1 else ""
            if newline != -1 and not any(c.isspace() or c == "`" for c in first_line):
                lang, i = first_line, newline + 1
        stack.append((kind, out.pos, where, lang))
    if stack:
        raise _ParseError(f"Can't find end of {_MDV2_NAMES[stack[-1][0]]} entity at byte offset {stack[-1][2]}")
    if quote_start is not None:
        found.append({"type": "blockquote", "offset": quote_start, "length": out.pos - quote_start})
    return out.text(), found


# ---------------------------------------------------------------- legacy Markdown
_MD_KIND = {"*": "bold", "_": "italic", "`": "code"}


def _parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Out()
    found: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if ch not in "_*`[":
            out.add(ch)
            i += 1
            continue
        where = _byte_offset(text, i)
        closer, kind = ("```", "pre") if text.startswith("```", i) else ("]" if ch == "[" else ch, "")
        end = text.find(closer, i + len(closer) if kind == "pre" else i + 1)
        if end == -1:
            raise _ParseError(f"Can't find end of the entity starting at byte offset {where}")
        inner = text[i + (3 if kind == "pre" else 1) : end]
        start = out.pos
        out.add(inner)
        i = end + len(closer)
        ent: dict[str, Any] = {"offset": start, "length": out.pos - start}
        if ch == "[":
            if i < n and text[i] == "(" and (close := text.find(")", i)) != -1:
                ent.update(type="text_link", url=text[i + 1 : close])
                i = close + 1
            else:
                continue
        else:
            ent["type"] = kind or _MD_KIND[ch]
        found.append(ent)
    return out.text(), found


# ---------------------------------------------------------------- markup and commands
def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'can\'t parse reply keyboard markup JSON object: Field "inline_keyboard" must be of type Array'
        )
    for button in (b for row in rows for b in row):
        if not isinstance(button, dict):
            raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        if not isinstance(button.get("text"), str):
            raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
        if not button["text"].strip():
            raise bad_request("BUTTON_TEXT_INVALID")
        if not _BUTTON_ACTIONS.intersection(button):
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
        if "url" in button and not re.fullmatch(r"(https?|tg)://\S+", str(button["url"])):
            raise bad_request("BUTTON_URL_INVALID")
    return markup


def check_commands(commands: Any) -> list[dict[str, str]]:
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMAND_INVALID")
    out: list[dict[str, str]] = []
    for cmd in commands:
        if not isinstance(cmd, dict) or not isinstance(cmd.get("command"), str):
            raise bad_request("BOT_COMMAND_INVALID")
        desc = cmd.get("description")
        if not _COMMAND_RE.fullmatch(cmd["command"]) or not isinstance(desc, str) or not 1 <= len(desc) <= 256:
            raise bad_request("BOT_COMMAND_INVALID")
        out.append({"command": cmd["command"], "description": desc})
    return out


def command_key(scope: Any, language_code: Any) -> str:
    scope = scope if scope not in (None, "") else {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    lang = language_code if isinstance(language_code, str) else ""
    if not _LANG_RE.fullmatch(lang):
        raise bad_request("invalid language code specified")
    return json.dumps([scope, lang], sort_keys=True)
