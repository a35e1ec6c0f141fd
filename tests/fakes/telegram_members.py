"""Chat members for the fake Telegram: ``getChatMember`` and ``getChatAdministrators`` (Bot API 10.0).

    tg.set_member(-100, 1001, "administrator")                  # rights default to a typical admin
    tg.set_member(-100, 1002, "restricted", can_send_messages=True, until_date=1_900_000_000)
    tg.set_member(-100, tg.bot_user["id"], "kicked")            # the bot is out: 403 for this chat
    tg.chat_member(-100, 1001)                                  # the ChatMember dict getChatMember returns

Defaults: in a group everyone who has written there (a stored user message) is "member", the bot
itself "administrator", anyone else "left"; a private chat has its user and the bot as members.
A chat the fake has never seen (no message, no send, no set_member) is "chat not found".
Objects carry every field PTB's ``ChatMember.de_json`` needs for the subclass of their status.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_methods import StoredMessage, TelegramState
from tests.fakes.telegram_text import ApiError, bad_request

STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
# ChatMemberAdministrator: required rights, then the group/supergroup-only ones (channels are not faked)
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
RESTRICTED_PERMISSIONS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)
_FIELDS: dict[str, frozenset[str]] = {
    "creator": frozenset({"is_anonymous", "custom_title"}),
    "administrator": frozenset(
        {"can_be_edited", "is_anonymous", "custom_title", "can_pin_messages", "can_manage_topics", "can_manage_tags"}
        | set(ADMIN_RIGHTS)
    ),
    "member": frozenset({"until_date", "tag"}),
    "restricted": frozenset({"is_member", "until_date", "tag", *RESTRICTED_PERMISSIONS}),
    "left": frozenset(),
    "kicked": frozenset({"until_date"}),
}


def member_object(chat: dict[str, Any], user: dict[str, Any], status: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A complete ChatMember of ``status``; ``fields`` override the defaults."""
    member: dict[str, Any] = {"user": copy.deepcopy(user), "status": status}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        # a typical admin: everything but promoting others; the bot can edit the rights of admins it promoted
        member |= {"can_be_edited": False, "is_anonymous": False} | dict.fromkeys(ADMIN_RIGHTS, True)
        member |= {"can_promote_members": False, "can_pin_messages": True}
        if chat["type"] == "supergroup":
            member["can_manage_topics"] = True
    elif status == "restricted":  # muted: a member who may read only
        member |= {"is_member": True, "until_date": 0} | dict.fromkeys(RESTRICTED_PERMISSIONS, False)
    elif status == "kicked":
        member["until_date"] = 0  # 0: forever
    return member | copy.deepcopy(fields)


class MembersMixin:
    """``set_member``/``chat_member`` and the two Bot API methods; mixed into FakeTelegram."""

    chats: dict[int, dict[str, Any]]
    users: dict[int, dict[str, Any]]
    messages: dict[tuple[int, int], StoredMessage]
    bot_user: dict[str, Any]

    if TYPE_CHECKING:  # provided by TelegramState

        def chat(self, chat_id: int, chat_type: str | None = None, first_name: str = "Alice") -> dict[str, Any]: ...

    def _member_overrides(self) -> dict[tuple[int, int], tuple[str, dict[str, Any]]]:
        state = self.__dict__.get("_member_overrides_")
        if state is None:
            state = self.__dict__["_member_overrides_"] = {}
        return state  # type: ignore[no-any-return]

    # ------------------------------------------------------------ test API
    def set_member(
        self, chat_id: int, user_id: int, status: str, *, user: dict[str, Any] | None = None, **fields: Any
    ) -> None:
        """``user_id``'s status in the group ``chat_id`` (created if new); ``fields`` set ChatMember fields
        of that status (``can_restrict_members=False``, ``until_date=…``, ``custom_title="boss"`` …);
        ``user`` replaces the User object (name, username, is_bot)."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        unknown = set(fields) - _FIELDS[status]
        if unknown:
            raise ValueError(f"a {status!r} ChatMember has no field(s) {sorted(unknown)}")
        if chat_id > 0:
            raise ValueError("a private chat has no member list to change")
        self.chat(chat_id)
        if user is not None:
            self.users[user_id] = {"is_bot": False, "first_name": f"User {user_id}"} | user | {"id": user_id}
        self._member_overrides()[(chat_id, user_id)] = (status, dict(fields))

    def chat_member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        """The ChatMember getChatMember answers (raises ApiError like it)."""
        chat = self._joined_chat(chat_id)
        status, fields = self._status(chat, user_id)
        return member_object(chat, self._user(user_id), status, fields)

    # ------------------------------------------------------------ internals
    def _user(self, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_user["id"]:
            return dict(self.bot_user)
        known = self.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        return {k: v for k, v in known.items() if k != "language_code"}  # as in ChatMember.user

    def _has_written(self, chat_id: int, user_id: int) -> bool:
        return any(
            m.chat_id == chat_id and not m.from_bot and m.raw.get("from", {}).get("id") == user_id
            for m in self.messages.values()
        )

    def _status(self, chat: dict[str, Any], user_id: int) -> tuple[str, dict[str, Any]]:
        chat_id = chat["id"]
        if chat["type"] == "private":
            return ("member" if user_id in (chat_id, self.bot_user["id"]) else "left"), {}
        override = self._member_overrides().get((chat_id, user_id))
        if override is not None:
            return override[0], override[1]
        if user_id == self.bot_user["id"]:
            return "administrator", {}
        return ("member" if self._has_written(chat_id, user_id) else "left"), {}

    def _joined_chat(self, chat_id: int) -> dict[str, Any]:
        """The chat, if the fake knows it and the bot is still in it."""
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat["type"] != "private":
            bot_status, _ = self._status(chat, self.bot_user["id"])
            if bot_status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {chat['type']} chat")
            if bot_status == "left":
                raise ApiError(403, f"Forbidden: bot is not a member of the {chat['type']} chat")
        return chat

    @staticmethod
    def _user_id(p: dict[str, Any]) -> int:
        value = p.get("user_id")
        if value is None or value == "":
            raise bad_request("user_id is empty")
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise bad_request("invalid user_id specified")
        return value

    # ------------------------------------------------------------ Bot API methods
    def api_getChatMember(self, p: dict[str, Any]) -> Any:
        chat_id = TelegramState._chat_id(p)
        return self.chat_member(chat_id, self._user_id(p))

    def api_getChatAdministrators(self, p: dict[str, Any]) -> Any:
        chat = self._joined_chat(TelegramState._chat_id(p))
        if chat["type"] == "private":
            raise bad_request("there are no administrators in the private chat")
        ids = [uid for (cid, uid) in self._member_overrides() if cid == chat["id"]]
        if self.bot_user["id"] not in ids:
            ids.append(self.bot_user["id"])
        members = [self.chat_member(chat["id"], uid) for uid in ids]
        admins = [m for m in members if m["status"] in ("creator", "administrator")]
        return sorted(admins, key=lambda m: m["status"] != "creator")  # the owner first
