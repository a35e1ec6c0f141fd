"""getChatMember / getChatAdministrators of the fake Telegram, through a real PTB ``telegram.Bot``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from telegram import (
    Bot,
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
)
from telegram.error import BadRequest, Forbidden

from tests.fakes.telegram_api import FakeTelegram

GROUP = -100
SUPERGROUP = -1001234567890
BOT_ID = 123456


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=f"{tg.base_url}/bot", base_file_url=f"{tg.base_url}/file/bot") as b:
        yield b


def strict(member: ChatMember) -> ChatMember:
    """Every field the fake sent is one PTB knows for this status (nothing left in api_kwargs)."""
    assert member.api_kwargs == {}, member.api_kwargs
    return member


async def test_writers_are_members_and_the_bot_an_admin(tg: FakeTelegram, bot: Bot) -> None:
    tg.send_text(GROUP, "hello", chat_type="group", user_id=1001, first_name="Alice")
    member = strict(await bot.get_chat_member(GROUP, 1001))
    assert type(member) is ChatMemberMember and member.status == "member"
    assert (member.user.id, member.user.first_name, member.user.is_bot) == (1001, "Alice", False)
    me = strict(await bot.get_chat_member(GROUP, BOT_ID))
    assert type(me) is ChatMemberAdministrator and me.user.is_bot and me.user.username == "wenwen_test_bot"
    assert me.can_delete_messages and me.can_restrict_members and not me.can_promote_members
    assert me.can_pin_messages is True and me.can_manage_topics is None  # topics: supergroups only


async def test_a_stranger_is_left(tg: FakeTelegram, bot: Bot) -> None:
    tg.send_text(GROUP, "hello", chat_type="group", user_id=1001)
    stranger = strict(await bot.get_chat_member(GROUP, 6666))
    assert type(stranger) is ChatMemberLeft and stranger.user.id == 6666


async def test_every_status_parses_into_its_subclass(tg: FakeTelegram, bot: Bot) -> None:
    tg.send_text(SUPERGROUP, "hi", chat_type="supergroup", user_id=1001)
    tg.set_member(SUPERGROUP, 1, "creator", custom_title="founder", user={"first_name": "Olga", "username": "olga"})
    tg.set_member(SUPERGROUP, 2, "administrator", can_be_edited=True)
    tg.set_member(SUPERGROUP, 3, "restricted", can_send_messages=True, until_date=1_900_000_000)
    tg.set_member(SUPERGROUP, 4, "kicked")
    tg.set_member(SUPERGROUP, 5, "left")
    tg.set_member(SUPERGROUP, 1001, "member")
    owner = strict(await bot.get_chat_member(SUPERGROUP, 1))
    assert type(owner) is ChatMemberOwner and owner.custom_title == "founder" and owner.is_anonymous is False
    assert owner.user.username == "olga"
    admin = strict(await bot.get_chat_member(SUPERGROUP, 2))
    assert type(admin) is ChatMemberAdministrator and admin.can_be_edited and admin.can_manage_topics
    muted = strict(await bot.get_chat_member(SUPERGROUP, 3))
    assert type(muted) is ChatMemberRestricted and muted.is_member and muted.can_send_messages
    assert not muted.can_send_photos and not muted.can_react_to_messages
    assert muted.until_date == datetime.fromtimestamp(1_900_000_000, UTC)
    banned = strict(await bot.get_chat_member(SUPERGROUP, 4))
    assert type(banned) is ChatMemberBanned and banned.until_date == datetime.fromtimestamp(0, UTC)
    assert type(strict(await bot.get_chat_member(SUPERGROUP, 5))) is ChatMemberLeft
    assert type(strict(await bot.get_chat_member(SUPERGROUP, 1001))) is ChatMemberMember


async def test_explicit_status_wins_over_having_written(tg: FakeTelegram, bot: Bot) -> None:
    tg.send_text(GROUP, "bye", chat_type="group", user_id=1001)
    tg.set_member(GROUP, 1001, "left")
    assert type(await bot.get_chat_member(GROUP, 1001)) is ChatMemberLeft


async def test_administrators_list(tg: FakeTelegram, bot: Bot) -> None:
    tg.send_text(GROUP, "hi", chat_type="group", user_id=1001)
    tg.set_member(GROUP, 2, "administrator")
    tg.set_member(GROUP, 1, "creator")
    tg.set_member(GROUP, 3, "restricted")
    admins = await bot.get_chat_administrators(GROUP)
    assert [(type(a), a.user.id) for a in admins] == [
        (ChatMemberOwner, 1),
        (ChatMemberAdministrator, 2),
        (ChatMemberAdministrator, BOT_ID),
    ]
    for admin in admins:
        strict(admin)


async def test_a_demoted_bot_is_not_listed(tg: FakeTelegram, bot: Bot) -> None:
    tg.set_member(GROUP, BOT_ID, "member")
    tg.set_member(GROUP, 7, "administrator")
    assert [a.user.id for a in await bot.get_chat_administrators(GROUP)] == [7]


async def test_unknown_chat_is_not_found(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.get_chat_member(-4242, 1001)
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.get_chat_administrators(-4242)
    assert [c.description for c in tg.calls_of("getChatMember")] == ["Bad Request: chat not found"]


async def test_private_chat(tg: FakeTelegram, bot: Bot) -> None:
    tg.send_text(42, "hi")
    user = strict(await bot.get_chat_member(42, 42))
    assert type(user) is ChatMemberMember and user.user.id == 42
    assert type(await bot.get_chat_member(42, BOT_ID)) is ChatMemberMember
    with pytest.raises(BadRequest, match=r"^There are no administrators in the private chat$"):
        await bot.get_chat_administrators(42)
    with pytest.raises(ValueError, match="private chat"):
        tg.set_member(42, 42, "kicked")


async def test_a_kicked_bot_is_forbidden(tg: FakeTelegram, bot: Bot) -> None:
    tg.send_text(GROUP, "hi", chat_type="group", user_id=1001)
    tg.set_member(GROUP, BOT_ID, "kicked")
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.get_chat_member(GROUP, 1001)
    tg.set_member(GROUP, BOT_ID, "left")
    with pytest.raises(Forbidden, match="bot is not a member of the group chat"):
        await bot.get_chat_administrators(GROUP)


async def test_bad_parameters(tg: FakeTelegram, bot: Bot) -> None:
    tg.send_text(GROUP, "hi", chat_type="group", user_id=1001)
    with pytest.raises(BadRequest, match=r"^Invalid user_id specified$"):
        await bot.get_chat_member(GROUP, 0)
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.get_chat_member("@nosuchgroup", 1001)


def test_set_member_is_strict(tg: FakeTelegram) -> None:
    with pytest.raises(ValueError, match="status must be one of"):
        tg.set_member(GROUP, 1, "owner")
    with pytest.raises(ValueError, match="no field"):
        tg.set_member(GROUP, 1, "member", can_send_messages=True)
    tg.set_member(GROUP, 1, "restricted", can_send_messages=True)
    assert tg.chat_member(GROUP, 1)["can_send_messages"] is True
    assert tg.chats[GROUP]["type"] == "group"  # set_member makes the chat known
