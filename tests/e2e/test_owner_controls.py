"""The owner's controls: daily limits, users managed from the chat, the key's balance, group admins in charge."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.handlers.balance import check_balance
from storage import ChatKey
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ADMIN, ALICE, BOB, STRANGER, RunningBot

GROUP = -100999


def chat_requests(ww: FakeWenwen) -> int:
    return len(ww.requests_to("/v1/chat/completions"))


def last_text(tg: FakeTelegram, chat_id: int) -> str:
    return tg.chat_messages(chat_id)[-1].text or ""


async def say(tg: FakeTelegram, chat_id: int, text: str, user_id: int = ALICE, **options: object) -> str:
    """Send a message and return the bot's reply once it is final (a group's live preview has a cursor)."""
    before = len(tg.chat_messages(chat_id))
    tg.send_text(chat_id, text, user_id=user_id, **options)  # type: ignore[arg-type]
    await tg.wait_for(lambda: len(tg.chat_messages(chat_id)) > before and "▌" not in last_text(tg, chat_id))
    return last_text(tg, chat_id)


class MovableClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# ---------------------------------------------------------------------------------------------- daily limits


async def test_a_user_is_stopped_at_the_request_limit_with_no_gateway_call_and_told_when_it_resets(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    bot = await make_bot(daily_request_limit=2)
    clock = MovableClock(datetime(2026, 3, 1, 18, 30, tzinfo=UTC))
    bot.services.limits.clock = clock
    assert await say(tg, ALICE, "one") == "echo: one"
    assert await say(tg, ALICE, "two") == "echo: two"
    refused = await say(tg, ALICE, "three")
    assert "2 requests" in refused and "00:00 UTC" in refused
    assert chat_requests(ww) == 2
    clock.now += timedelta(hours=6)  # a new UTC day
    assert await say(tg, ALICE, "four") == "echo: four"
    assert chat_requests(ww) == 3


async def test_admins_have_no_limits(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(daily_request_limit=1)
    for number in range(3):
        assert await say(tg, ADMIN, f"admin {number}", user_id=ADMIN) == f"echo: admin {number}"
    assert chat_requests(ww) == 3


async def test_the_token_limit_stops_the_next_turn_once_spent(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(daily_token_limit=50)
    ww.script(Reply(text="a long answer", usage={"prompt_tokens": 30, "completion_tokens": 25, "total_tokens": 55}))
    await say(tg, ALICE, "spend them")
    refused = await say(tg, ALICE, "and now?")
    assert "50 tokens" in refused and "55" in refused
    assert chat_requests(ww) == 1


async def test_the_image_limit_covers_image_commands_and_midjourney(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    await make_bot(daily_image_limit=1)
    tg.send_text(ALICE, "/image a cat", user_id=ALICE)
    await tg.wait_for(lambda: any(m.kind == "photo" for m in tg.chat_messages(ALICE)), timeout=15)
    refused = await say(tg, ALICE, "/imagine a dog")
    assert "1 images" in refused or "images for today" in refused
    assert not ww.mj_requests("/mj/submit/imagine")
    assert len(ww.requests_to("/v1/images/generations")) == 1


async def test_a_refused_call_is_given_back(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(daily_request_limit=1)
    ww.script(Reply(status=500, error_message="upstream broke"), Reply(status=500, error_message="upstream broke"))
    await say(tg, ALICE, "this fails")
    assert await say(tg, ALICE, "this works") == "echo: this works"  # the failed one did not count


async def test_usage_shows_the_limits(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(daily_request_limit=10, daily_image_limit=3)
    await say(tg, ALICE, "hi")
    shown = await say(tg, ALICE, "/usage")
    assert "1 of 10 requests" in shown and "0 of 3 images" in shown and "00:00 UTC" in shown


async def test_limit_overrides_the_default_for_one_user(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    await make_bot(daily_request_limit=1)
    assert "Daily limits" in await say(tg, ADMIN, f"/limit {ALICE} requests 3", user_id=ADMIN)
    for number in range(3):
        assert await say(tg, ALICE, f"q{number}") == f"echo: q{number}"
    assert "3 requests" in await say(tg, ALICE, "q3")
    await say(tg, ADMIN, f"/limit {ALICE} requests off", user_id=ADMIN)
    assert await say(tg, ALICE, "q4") == "echo: q4"
    assert await say(tg, BOB, "bob 1", user_id=BOB) == "echo: bob 1"
    assert "1 requests" in await say(tg, BOB, "bob 2", user_id=BOB)  # Bob keeps the default


async def test_limit_commands_are_for_admins_only(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    for command in (f"/limit {BOB} requests 1", f"/allow {STRANGER}", f"/deny {BOB}", "/users", "/balance"):
        assert "for the bot's admins" in await say(tg, ALICE, command)
    assert await say(tg, BOB, "still allowed?", user_id=BOB) == "echo: still allowed?"


# ---------------------------------------------------------------------------------------------- access


async def test_allow_and_deny_take_effect_at_once_and_survive_a_restart(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    first = await make_bot()
    assert str(STRANGER) in await say(tg, STRANGER, "let me in", user_id=STRANGER)
    assert "can use the bot now" in await say(tg, ADMIN, f"/allow {STRANGER}", user_id=ADMIN)
    assert await say(tg, STRANGER, "thanks", user_id=STRANGER) == "echo: thanks"
    assert "blocked" in await say(tg, ADMIN, f"/deny {ALICE}", user_id=ADMIN)  # ALICE is in ALLOWED_USER_IDS
    await first.stop()
    await make_bot()
    assert await say(tg, STRANGER, "after the restart", user_id=STRANGER) == "echo: after the restart"
    assert str(ALICE) in await say(tg, ALICE, "and me?")  # denied: told her id, no answer
    assert "cannot be blocked" in await say(tg, ADMIN, f"/deny {ADMIN}", user_id=ADMIN)
    users = await say(tg, ADMIN, "/users", user_id=ADMIN)
    assert str(STRANGER) in users and "Blocked" in users and str(ALICE) in users


async def test_a_reply_names_the_user_and_a_negative_id_allows_a_group(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    mention = f"@{tg.bot_user['username']}"
    stranger_message = tg.send_text(GROUP, f"{mention} hello", user_id=STRANGER, chat_type="supergroup")
    await tg.wait_for(lambda: bool(tg.chat_messages(GROUP)))
    assert "can use the bot" in await say(
        tg, GROUP, "/allow", user_id=ADMIN, chat_type="supergroup", reply_to_message_id=stranger_message
    )
    assert await say(tg, STRANGER, "private now", user_id=STRANGER) == "echo: private now"
    other = 7777
    assert "Everyone in the group" in await say(tg, ADMIN, f"/allow {GROUP}", user_id=ADMIN)
    assert await say(tg, GROUP, f"{mention} me too", user_id=other, chat_type="supergroup") == "echo: me too"
    assert str(other) in await say(tg, other, "and privately?", user_id=other)  # the group grant is the group's


# ---------------------------------------------------------------------------------------------- governance


async def test_only_group_admins_change_the_group_for_everyone(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    member_reply = await say(tg, GROUP, "/system Be a pirate.", user_id=BOB, chat_type="supergroup")
    assert "administrators" in member_reply
    assert await bot.services.conversations.system_prompt(group_key()) is None
    tg.set_member(GROUP, ALICE, "administrator")
    await say(tg, GROUP, "/system Be a pirate.", user_id=ALICE, chat_type="supergroup")
    assert await bot.services.conversations.system_prompt(group_key()) == "Be a pirate."
    assert "administrators" in await say(tg, GROUP, "/new", user_id=BOB, chat_type="supergroup")
    assert "administrators" in await say(tg, GROUP, "/voice on", user_id=BOB, chat_type="supergroup")
    assert "administrators" in await say(tg, GROUP, "/model gpt-4o", user_id=BOB, chat_type="supergroup")
    mention = f"@{tg.bot_user['username']}"
    assert (await say(tg, GROUP, f"{mention} chatting is open", user_id=BOB, chat_type="supergroup")).startswith(
        "echo:"
    )
    assert len(tg.calls_of("getChatMember")) <= 2  # each member's status is asked once and remembered


async def test_stop_in_a_group_stops_only_ones_own_answer(tg: FakeTelegram, ww: FakeWenwen, make_bot) -> None:
    carol = 3003
    await make_bot(allowed_user_ids=f"{ALICE},{BOB},{carol}")
    hold = asyncio.Event()
    ww.script(Reply(text="bob's long answer", chunks=3, hold=hold))
    mention = f"@{tg.bot_user['username']}"
    tg.send_text(GROUP, f"{mention} tell me", user_id=BOB, chat_type="supergroup")
    await ww.wait_for(lambda: ww.streams_open == 1)
    tg.set_member(GROUP, carol, "creator")
    await tg.wait_for(lambda: bool(tg.chat_messages(GROUP)))  # the live preview
    tg.send_text(GROUP, "/stop", user_id=ALICE, chat_type="supergroup")
    await tg.wait_for(lambda: any("someone else" in (m.text or "") for m in tg.chat_messages(GROUP)))
    assert ww.disconnects == 0
    tg.send_text(GROUP, "/stop", user_id=carol, chat_type="supergroup")
    await ww.wait_for(lambda: ww.disconnects == 1)
    hold.set()


def group_key() -> ChatKey:
    return ChatKey(GROUP)


# ---------------------------------------------------------------------------------------------- balance


async def test_balance_shows_the_key_in_quota_and_usd(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.billing.set(granted=5_000_000, used=1_000_000)
    shown = await say(tg, ADMIN, "/balance", user_id=ADMIN)
    assert "4,000,000 left of 5,000,000" in shown and "$8.00 left of $10.00" in shown


async def test_a_gateway_without_balance_routes_says_so(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    ww.billing.offered = False
    assert "does not report the key's balance" in await say(tg, ADMIN, "/balance", user_id=ADMIN)


async def test_a_low_balance_is_told_to_admins_once_per_crossing(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    bot = await make_bot(low_balance_usd=5.0)
    assert bot.app is not None
    ww.billing.set(granted=5_000_000, used=3_000_000)  # $4 left
    await check_balance(bot.app)
    await check_balance(bot.app)
    warnings = [m for m in tg.chat_messages(ADMIN) if "balance is low" in (m.text or "")]
    assert len(warnings) == 1 and "$4.00" in (warnings[0].text or "")
    ww.billing.set(used=0)  # topped up: above again
    await check_balance(bot.app)
    ww.billing.set(used=4_000_000)  # and below again: a new crossing
    await check_balance(bot.app)
    assert len([m for m in tg.chat_messages(ADMIN) if "balance is low" in (m.text or "")]) == 2


async def test_stats_sends_a_chart(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    await say(tg, ALICE, "something to count")
    tg.send_text(ADMIN, "/stats", user_id=ADMIN)
    await tg.wait_for(lambda: any(m.kind == "photo" for m in tg.chat_messages(ADMIN)), timeout=30)
    [chart] = [m for m in tg.chat_messages(ADMIN) if m.kind == "photo"]
    assert chart.file is not None and chart.file.startswith(b"\x89PNG")


@pytest.fixture(autouse=True)
def _no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records if r.exc_info]
