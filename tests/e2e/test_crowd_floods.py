"""Attacks by a crowd: floods of messages and strangers, tool calls without end, failed turns."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from storage import ChatKey, Storage
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, BOB, STRANGER, RunningBot
from tests.images import png


def chat_bodies(ww: FakeWenwen) -> list[dict]:
    return [r.json for r in ww.requests_to("/v1/chat/completions")]


async def test_300_messages_during_a_slow_answer_cost_one_more_request_and_each_is_stored(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    hold = asyncio.Event()
    ww.script(Reply(text="the slow first answer", chunks=3, hold=hold), Reply(text="one answer to all of them"))
    tg.send_text(ALICE, "first question", user_id=ALICE)
    await ww.wait_for(lambda: ww.streams_open == 1)
    for number in range(300):
        tg.send_text(ALICE, f"flood {number}", user_id=ALICE)
    conversation = await bot.services.storage.conversations.active(_chat(ALICE))
    storage = bot.services.storage.conversations

    async def stored() -> int:
        return sum(m.role == "user" for m in await storage.all_messages(conversation))

    for _ in range(400):  # every message is stored while the first answer is still being written
        if await stored() == 301:
            break
        await asyncio.sleep(0.02)
    assert await stored() == 301
    assert len(chat_bodies(ww)) == 1
    hold.set()
    await tg.wait_for(lambda: any(m.text == "one answer to all of them" for m in tg.chat_messages(ALICE)), timeout=20)
    await bot.services.turn_queue.idle()
    bodies = chat_bodies(ww)
    assert len(bodies) == 2  # not 301
    last = bodies[1]["messages"][-1]
    assert last["role"] == "user"
    assert last["content"] == "\n\n".join(f"flood {n}" for n in range(300))
    assert [m["content"] for m in bodies[1]["messages"][:2]] == ["first question", "the slow first answer"]
    texts = [m.text for m in tg.chat_messages(ALICE)]
    assert texts == ["the slow first answer", "one answer to all of them"]


async def test_another_chat_is_answered_while_one_chat_floods(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    hold = asyncio.Event()
    ww.script(Reply(text="alice waits", chunks=2, hold=hold), Reply(text="bob is answered"))
    tg.send_text(ALICE, "slow", user_id=ALICE)
    await ww.wait_for(lambda: ww.streams_open == 1)
    for number in range(300):
        tg.send_text(ALICE, f"flood {number}", user_id=ALICE)
    for _ in range(50):
        tg.press_button(ALICE, 1, "cfg:web_search", user_id=ALICE, allow_unknown_data=True)
    tg.send_text(BOB, "hello from bob", user_id=BOB)
    await tg.wait_for(lambda: bool(tg.chat_messages(BOB)), timeout=10)
    assert tg.chat_messages(BOB)[0].text == "bob is answered"
    assert not hold.is_set()  # Bob did not wait for Alice's answer
    hold.set()


async def test_a_stranger_is_told_once_and_the_rest_of_the_flood_is_dropped(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    for number in range(40):
        tg.send_text(STRANGER, f"let me in {number}", user_id=STRANGER)
    tg.send_text(ALICE, "am I still served?", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)), timeout=10)
    assert bot.app is not None
    await asyncio.wait_for(bot.app.update_queue.join(), 10)  # every update fetched so far has been handled
    refusals = tg.chat_messages(STRANGER)
    assert len(refusals) == 1 and str(STRANGER) in (refusals[0].text or "")
    assert len(chat_bodies(ww)) == 1  # Alice's; the stranger cost nothing


async def test_a_failed_turn_is_not_glued_to_the_next_question(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ww.script(Reply(status=400, error_message="content filter said no"), Reply(text="second answer"))
    tg.send_text(ALICE, "the question that failed", user_id=ALICE)
    await tg.wait_for(lambda: bool(tg.chat_messages(ALICE)))
    tg.send_text(ALICE, "a new question", user_id=ALICE)
    await tg.wait_for(lambda: any(m.text == "second answer" for m in tg.chat_messages(ALICE)))
    messages = chat_bodies(ww)[-1]["messages"]
    assert messages[-1] == {"role": "user", "content": "a new question"}
    assert messages[0] == {"role": "user", "content": "the question that failed"}
    assert messages[1]["role"] == "assistant" and messages[1]["content"].startswith("[no answer")


async def test_an_answer_lost_in_a_crash_leaves_its_question_on_its_own(
    tg: FakeTelegram, ww: FakeWenwen, make_bot, db_path: Path
) -> None:
    left = await Storage.open(db_path)  # a process died two hours ago while this answer was written
    conversation = await left.conversations.active(_chat(ALICE))
    await left.conversations.add_message(
        conversation, "user", "asked before the crash", token_estimate=5, user_id=ALICE
    )
    assert await left.conversations.begin_answer(conversation) is not None
    async with left.db.transaction() as conn:
        await conn.execute("UPDATE messages SET created_at = created_at - 7200")
    await left.close()
    await make_bot()
    await ask_and_wait(tg, "asked after the restart", "echo: asked after the restart")
    messages = chat_bodies(ww)[-1]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[-1]["content"] == "asked after the restart"


async def ask_and_wait(tg: FakeTelegram, text: str, answer: str) -> None:
    tg.send_text(ALICE, text, user_id=ALICE)
    await tg.wait_for(lambda: any((m.text or "").endswith(answer) for m in tg.chat_messages(ALICE)))


def _chat(chat_id: int) -> ChatKey:
    return ChatKey(chat_id)


def tool_results(ww: FakeWenwen, index: int) -> list[str]:
    return [m["content"] for m in chat_bodies(ww)[index]["messages"] if m["role"] == "tool"]


async def test_one_message_generates_at_most_two_images_and_the_model_is_told_why(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    calls = [{"name": "generate_image", "arguments": {"prompt": f"picture {n}"}} for n in range(10)]
    ww.script(Reply(text="", tool_calls=calls), Reply(text="Here are the two I could make."))
    await ask_and_wait(tg, "draw ten pictures", "Here are the two I could make.")
    assert len(ww.requests_to("/v1/images/generations")) == 2
    results = tool_results(ww, 1)
    assert len(results) == 10
    assert sum("at most 2 images" in r for r in results) == 8


async def test_one_message_makes_at_most_eight_tool_calls_across_rounds(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    round_of_five = [{"name": "current_time", "arguments": {"timezone": "Europe/Paris"}} for _ in range(5)]
    ww.script(Reply(text="", tool_calls=round_of_five), Reply(text="", tool_calls=round_of_five), Reply(text="ok"))
    await ask_and_wait(tg, "what time is it, many times", "ok")
    second_round = tool_results(ww, 2)
    assert len(second_round) == 10
    assert sum(r.startswith("error: the limit of 8 tool calls") for r in second_round) == 2


async def test_tool_arguments_are_checked_against_the_schema_and_prompts_are_not_flags(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    ww.script(
        Reply(text="", tool_calls=[{"name": "generate_image", "arguments": {"prompt": "a fox", "shape": "gigantic"}}]),
        Reply(text="That shape does not exist."),
    )
    await ask_and_wait(tg, "draw a gigantic fox", "That shape does not exist.")
    assert not ww.requests_to("/v1/images/generations")
    assert tool_results(ww, 1)[0].startswith("error: invalid arguments (shape:")

    sneaky = {"prompt": "a fox --size 4096x4096 --quality hd", "shape": "wide", "n": 50, "model": "dall-e-3-max"}
    ww.script(Reply(text="", tool_calls=[{"name": "generate_image", "arguments": sneaky}]), Reply(text="Drawn."))
    await ask_and_wait(tg, "draw a fox", "Drawn.")
    [request] = ww.requests_to("/v1/images/generations")
    assert request.json["prompt"] == "a fox --size 4096x4096 --quality hd"
    assert request.json["size"] == "1792x1024" and request.json["n"] == 1 and request.json["model"] == "dall-e-3"


async def test_an_answer_cannot_make_the_bot_fetch_internal_addresses(
    tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot
) -> None:
    internal = web.Application()
    hits: list[str] = []

    async def secret(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=png(9), content_type="image/png")

    internal.router.add_get("/{tail:.*}", secret)
    runner = web.AppRunner(internal)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        links = [
            f"http://127.0.0.1:{port}/admin.png",
            f"http://localhost:{port}/x.png",
            f"http://2130706433:{port}/decimal.png",
            f"{ww.base_url}/v1/models",  # the gateway itself: fetched without the key, and not an image
        ]
        ww.script(Reply(text="Pictures:\n\n" + "\n\n".join(f"![p{i}]({url})" for i, url in enumerate(links))))
        await ask_and_wait(tg, "show me", "p3")
        await bot.services.turn_queue.idle()
    finally:
        await runner.cleanup()
    assert hits == []  # the internal server was never asked
    assert not [m for m in tg.chat_messages(ALICE) if m.kind in ("photo", "document")]
    keyless = [r for r in ww.requests_to("/v1/models") if r.headers.get("authorization") is None]
    assert len(keyless) == 1  # the gateway's own link was fetched, without the key, and was not an image
    final = tg.chat_messages(ALICE)[-1]
    assert final.text == "Pictures:\n\np0\n\np1\n\np2\n\np3"
    assert [e["url"] for e in final.entities or []] == links  # the links stay in the text as links


async def test_a_busy_group_does_not_starve_the_other_chats(tg: FakeTelegram, ww: FakeWenwen, bot: RunningBot) -> None:
    group = -100555
    mention = f"@{tg.bot_user['username']}"
    hold = asyncio.Event()
    ww.script(Reply(text="the group's slow answer", chunks=2, hold=hold), Reply(text="alice is answered"))
    tg.send_text(group, f"{mention} first", user_id=BOB, chat_type="supergroup")
    await ww.wait_for(lambda: ww.streams_open == 1)
    for number in range(300):
        tg.send_text(group, f"{mention} mention {number}", user_id=BOB, chat_type="supergroup")
    tg.send_text(ALICE, "and me?", user_id=ALICE)
    await tg.wait_for(lambda: any(m.text == "alice is answered" for m in tg.chat_messages(ALICE)), timeout=10)
    assert not hold.is_set()
    storage = bot.services.storage.conversations
    conversation = await storage.active(ChatKey(group))
    for _ in range(500):  # the mentions are stored while the group's answer is still being written
        if sum(m.role == "user" for m in await storage.all_messages(conversation)) == 301:
            break
        await asyncio.sleep(0.02)
    hold.set()
    await tg.wait_for(lambda: len(chat_bodies(ww)) == 3, timeout=20)  # group, Alice, one follow-up for 300
    await bot.services.turn_queue.idle()
    assert len(chat_bodies(ww)) == 3


async def test_sixty_chats_at_once_meet_no_429_under_telegram_s_own_sliding_window(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    """Telegram counts arrivals; the bot keeps 30 a second over all chats however late they arrive."""
    tg.enable_flood_control(per_second=30)
    ww.default_reply = lambda text: Reply(text=f"answer to {text}", chunks=3, delay=0.01)
    await make_bot(allowed_user_ids="*")
    chats = range(40_000, 40_060)
    for chat in chats:
        tg.send_text(chat, f"hello {chat}", user_id=chat)
    await tg.wait_for(
        lambda: all(any(m.text == f"answer to hello {chat}" for m in tg.chat_messages(chat)) for chat in chats),
        timeout=30,
    )
    assert tg.flood_refusals == []
