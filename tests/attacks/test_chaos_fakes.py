"""The fault machinery the attacks use: FakeTelegram.chaos and FakeWenwen.chaos / default_reply."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TelegramError

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import API_KEY

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def ptb(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=f"{tg.base_url}/bot", base_file_url=f"{tg.base_url}/file/bot") as bot:
        yield bot


async def test_drop_after_acts_then_the_client_sees_a_network_error(tg: FakeTelegram, ptb: Bot) -> None:
    tg.chaos(seed=1, rate=1.0, kinds=("drop_after",), methods={"sendMessage"})
    with pytest.raises(NetworkError):
        await ptb.send_message(42, "sent although the bot never hears so")
    [message] = tg.chat_messages(42)
    assert message.text == "sent although the bot never hears so"
    [fault] = tg.chaos_faults
    assert (fault.method, fault.kind, fault.chat_id) == ("sendMessage", "drop_after", 42)
    call = tg.calls_of("sendMessage")[0]
    assert (call.status, call.chaos) == (200, "drop_after")
    tg.chaos_off()
    assert (await ptb.send_message(42, "after")).text == "after"  # a new connection works


async def test_drop_before_and_errors_change_nothing(tg: FakeTelegram, ptb: Bot) -> None:
    tg.chaos(seed=1, rate=1.0, kinds=("drop_before",))
    with pytest.raises(NetworkError):
        await ptb.send_message(42, "never sent")
    tg.chaos(seed=1, rate=1.0, kinds=("429",))
    with pytest.raises(RetryAfter):
        await ptb.send_message(42, "never sent")
    tg.chaos(seed=1, rate=1.0, kinds=("500",))
    with pytest.raises(TelegramError, match="Internal Server Error"):
        await ptb.send_message(42, "never sent")
    assert tg.chat_messages(42) == []
    assert [f.kind for f in tg.chaos_faults] == ["drop_before", "429", "500"]
    assert await ptb.get_me()  # spared by default, like getUpdates and getFile


async def test_chaos_is_seeded_and_counts_only_the_chosen_methods(tg: FakeTelegram, ptb: Bot) -> None:
    def run(seed: int) -> list[str | None]:
        from tests.fakes.telegram_chaos import TelegramChaos

        chaos = TelegramChaos(seed, 0.3)
        return [chaos.pick("sendMessage") for _ in range(200)]

    assert run(5) == run(5) != run(6)
    share = sum(kind is not None for kind in run(5)) / 200
    assert 0.2 < share < 0.4
    tg.chaos(seed=2, rate=1.0, methods={"editMessageText"})
    await ptb.send_message(42, "untouched")
    assert tg.chaos_faults == []


async def test_wenwen_chaos_and_default_reply(ww: FakeWenwen) -> None:
    ww.default_reply = lambda text: Reply(text=f"slow answer to {text}", chunks=3)
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(base_url=ww.base_url, headers=headers) as client:
        ok = await client.post("/v1/chat/completions", json=body)
        assert ok.json()["choices"][0]["message"]["content"] == "slow answer to hi"
        ww.chaos(seed=4, rate=1.0, kinds=("500",))
        failed = await client.post("/v1/chat/completions", json=body)
        assert failed.status_code == 500 and "请求上游地址失败" in failed.text
        ww.script(Reply(text="scripted first"))
        assert (await client.post("/v1/chat/completions", json=body)).json()["choices"][0]["message"]["content"] == (
            "scripted first"
        )
        ww.chaos(seed=4, rate=1.0, kinds=("mid_stream",))
        streamed = await client.post("/v1/chat/completions", json=body | {"stream": True})
        assert '"error"' in streamed.text and "[DONE]" in streamed.text
        ww.chaos_off()
        assert (await client.post("/v1/chat/completions", json=body)).status_code == 200
    assert [(f.kind, f.user_text) for f in ww.chaos_faults] == [("500", "hi"), ("mid_stream", "hi")]


async def test_unconfirmed_updates_are_redelivered_to_the_next_process(tg: FakeTelegram) -> None:
    """Telegram keeps an update until a later getUpdates confirms it (offset > its id), across restarts."""

    def fresh() -> Bot:
        return Bot(tg.token, base_url=f"{tg.base_url}/bot", base_file_url=f"{tg.base_url}/file/bot")

    first_id = tg.send_text(42, "one", user_id=42)
    tg.send_text(42, "two", user_id=42)
    async with fresh() as crashed:  # fetched, never confirmed: the process dies here
        fetched = await crashed.get_updates(timeout=0)
    assert [u.message.message_id for u in fetched] == [first_id, first_id + 1]
    async with fresh() as restarted:  # a new process starts with offset 0
        again = await restarted.get_updates(timeout=0)
        assert [u.update_id for u in again] == [u.update_id for u in fetched]
        await restarted.get_updates(offset=again[0].update_id + 1, timeout=0)  # confirms the first only
    async with fresh() as third:
        [left] = await third.get_updates(timeout=0)
        assert left.update_id == again[1].update_id
        assert await third.get_updates(offset=left.update_id + 1, timeout=0) == ()
    assert tg.updates == [] and not [c for c in tg.calls if c.status == 409]
