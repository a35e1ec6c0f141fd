"""Several `wenwen-bot` processes on one PostgreSQL database (tests/postgres.py), webhook mode, behind a
round-robin proxy written here: every message answered once and in order, a duplicated update answered
once, a killed process losing nothing (Telegram's redelivery is the sender re-POSTing what was not
acknowledged), the task poller moving to the survivor, /stop reaching the answer another process writes;
and long polling refused to a second process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web

from bot import webhook
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen, Reply
from tests.harness import ALICE, API_KEY, TOKEN, bot_command
from tests.postgres import fresh_schema

from .mj_helpers import wait_results

SECRET = "replica-secret-token"
HOOK = "/tg-hook"
CHATS = [3001 + n for n in range(20)]
LEASE = 2.0  # LEASE_SECONDS: a killed process's leases pass on within seconds


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Replica:
    port: int
    log: Path
    process: asyncio.subprocess.Process

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{HOOK}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class World:
    tg: FakeTelegram
    ww: FakeWenwen
    database_url: str
    tmp: Path
    replicas: list[Replica] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "PATH": os.environ["PATH"],
            "HOME": str(self.tmp),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WENWEN_API_KEY": API_KEY,
            "TELEGRAM_API_URL": self.tg.base_url,
            "WENWEN_BASE_URL": self.ww.base_url,
            "DATABASE_URL": self.database_url,
            "ALLOWED_USER_IDS": ",".join(str(c) for c in [ALICE, *CHATS]),
            "STREAM_INTERVAL_PRIVATE": "0.05",
            "TITLE_MODEL": "off",
            "SHUTDOWN_GRACE": "0.5",
            "LEASE_SECONDS": str(LEASE),
            "REPLICAS": "2",
            "MJ_POLL_INTERVAL": "0.3",
            "MJ_PROGRESS_INTERVAL": "0",
            **extra,
        }

    async def start(self, name: str, **extra: str) -> Replica:
        port = _free_port()
        env = self.env(
            WEBHOOK_URL=f"https://bot.example.test{HOOK}",
            WEBHOOK_LISTEN="127.0.0.1",
            WEBHOOK_PORT=str(port),
            WEBHOOK_SECRET=SECRET,
            **extra,
        )
        log = self.tmp / f"{name}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                *bot_command(), cwd=self.tmp, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
            )
        replica = Replica(port, log, process)
        self.replicas.append(replica)
        return replica

    async def start_two(self) -> list[Replica]:
        pair = [await self.start("a"), await self.start("b")]
        await self.tg.wait_for(lambda: len(self.tg.calls_of("setWebhook")) >= 2, timeout=30)  # both listen
        return pair

    async def leader_pid(self) -> int | None:
        holder = await self.query("SELECT holder FROM leases WHERE name = 'leader'")
        return int(str(holder).split(":")[1]) if holder else None

    async def query(self, sql: str) -> Any:
        import asyncpg  # type: ignore[import-untyped]  # here: without it the fixture skips (tests/conftest.py)

        connection = await asyncpg.connect(self.database_url)
        try:
            return await connection.fetchval(sql)
        finally:
            await connection.close()


@pytest.fixture
async def world(tg: FakeTelegram, ww: FakeWenwen, tmp_path: Path, postgres_admin_url: str) -> AsyncIterator[World]:
    async with fresh_schema(postgres_admin_url) as url:
        found = World(tg, ww, url, tmp_path)
        yield found
        for replica in found.replicas:
            if replica.process.returncode is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in found.replicas:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(replica.process.wait(), timeout=20)
            if replica.process.returncode is None:
                replica.process.kill()
                await replica.process.wait()


@contextlib.asynccontextmanager
async def round_robin(replicas: list[Replica]) -> AsyncIterator[str]:
    """A reverse proxy without health checks: each POST to the next replica; a dead one's answer is 502."""
    turn = 0

    async def forward(request: web.Request) -> web.Response:
        nonlocal turn
        target = replicas[turn % len(replicas)]
        turn += 1
        headers = {
            webhook.SECRET_HEADER: request.headers.get(webhook.SECRET_HEADER, ""),
            "Content-Type": "application/json",
        }
        try:
            async with session.post(target.url, data=await request.read(), headers=headers) as answer:
                return web.Response(status=answer.status, body=await answer.read())
        except aiohttp.ClientError:
            return web.Response(status=502)

    app = web.Application()
    app.router.add_post(HOOK, forward)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        try:
            yield f"http://127.0.0.1:{port}{HOOK}"
        finally:
            await runner.cleanup()


class Telegram:
    """Telegram's side of the webhook: an update is sent until some process answers it with 200."""

    def __init__(self, tg: FakeTelegram, client: httpx.AsyncClient) -> None:
        self.tg, self.client = tg, client
        self.resent = 0

    def update(self, chat: int, text: str) -> dict[str, Any]:
        self.tg.send_text(chat, text, user_id=chat)
        return self.tg.updates.pop()

    async def deliver(self, url: str, update: dict[str, Any]) -> None:
        async with asyncio.timeout(60):
            while True:
                try:
                    answer = await self.client.post(url, json=update, headers={webhook.SECRET_HEADER: SECRET})
                    if answer.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                self.resent += 1
                await asyncio.sleep(0.05)  # Telegram's retry pace (it waits longer)


def echoes(tg: FakeTelegram, chat: int) -> list[str]:
    return [m.text or "" for m in tg.chat_messages(chat) if (m.text or "").startswith("echo: ")]


async def chats_answered(tg: FakeTelegram, url: str, sender: Telegram, turns: range) -> None:
    """Every chat in CHATS says "c<chat> t<n>" for each turn, the next once the last one's answer is shown."""

    async def chat_turns(chat: int) -> None:
        for n in turns:
            await sender.deliver(url, sender.update(chat, f"c{chat} t{n}"))
            await tg.wait_for(lambda n=n: f"echo: c{chat} t{n}" in echoes(tg, chat), timeout=60)

    await asyncio.gather(*(chat_turns(chat) for chat in CHATS))


def assert_each_answered_once_in_order(tg: FakeTelegram, turns: range) -> None:
    for chat in CHATS:
        assert echoes(tg, chat) == [f"echo: c{chat} t{n}" for n in turns], chat


# ------------------------------------------------------------------------------------ the tests


async def test_two_processes_answer_every_message_once_in_order_and_stop_across_them(world: World) -> None:
    tg, ww = world.tg, world.ww
    a, b = await world.start_two()
    async with round_robin([a, b]) as url, httpx.AsyncClient(timeout=60) as client:
        sender = Telegram(tg, client)
        await chats_answered(tg, url, sender, range(1, 4))
        assert_each_answered_once_in_order(tg, range(1, 4))
        assert "turn chat=" in a.output() and "turn chat=" in b.output()  # both took part
        assert len(ww.requests_to("/v1/chat/completions")) == len(CHATS) * 3

        # the same update POSTed to both processes at once: handled by one, dropped by the other
        twin = sender.update(ALICE, "only once please")
        await asyncio.gather(sender.deliver(a.url, twin), sender.deliver(b.url, twin))
        await tg.wait_for(lambda: echoes(tg, ALICE) == ["echo: only once please"], timeout=20)
        stored = await world.query("SELECT COUNT(*) FROM messages WHERE content = 'only once please'")
        assert stored == 1
        assert len(ww.requests_to("/v1/chat/completions")) == len(CHATS) * 3 + 1
        assert "was handled already" in a.output() + b.output()

        # an answer written by A is stopped by a /stop that reaches B
        hold = asyncio.Event()
        ww.script(Reply(text="Partial words then much more that nobody will pay for", chunks=8, hold=hold))
        await sender.deliver(a.url, sender.update(ALICE, "tell me a long story"))
        await tg.wait_for(lambda: any("Partial" in d.params.get("text", "") for d in tg.drafts(ALICE)), timeout=20)
        await sender.deliver(b.url, sender.update(ALICE, "/stop"))
        await ww.wait_for(lambda: ww.disconnects == 1, timeout=5)  # A read the stop and closed the stream
        await tg.wait_for(lambda: "stopped" in (tg.chat_messages(ALICE)[-1].text or ""), timeout=10)
        hold.set()
        final = tg.chat_messages(ALICE)[-1].text or ""
        assert final.startswith("Partial") and "nobody will pay" not in final


async def test_a_killed_process_loses_no_message_and_the_survivor_polls_the_tasks(world: World) -> None:
    tg, ww = world.tg, world.ww
    pair = await world.start_two()
    leader = await world.leader_pid()  # taken in post_init, before either registered its webhook
    doomed = next(r for r in pair if r.process.pid == leader)
    survivor = next(r for r in pair if r is not doomed)
    async with round_robin(pair) as url, httpx.AsyncClient(timeout=60) as client:
        sender = Telegram(tg, client)
        await chats_answered(tg, url, sender, range(1, 2))

        # turn 2 of every chat: each process has its share of the answers stalled at the gateway; then the
        # leader is killed (SIGKILL: nothing of it runs any more) with its answers half written
        gate = asyncio.Event()
        ww.default_reply = lambda text: Reply(text=f"echo: {text}", chunks=3, hold=gate)
        before = len(ww.requests_to("/v1/chat/completions"))
        await asyncio.gather(*(sender.deliver(url, sender.update(chat, f"c{chat} t2")) for chat in CHATS))
        await ww.wait_for(lambda: len(ww.requests_to("/v1/chat/completions")) - before == len(CHATS), timeout=20)
        doomed.process.kill()
        await doomed.process.wait()
        gate.set()
        ww.default_reply = None

        for chat in CHATS:  # the survivor's own answers finish; the dead one's are answered again by the survivor
            await tg.wait_for(lambda chat=chat: f"echo: c{chat} t2" in echoes(tg, chat), timeout=30)
        await chats_answered(tg, url, sender, range(3, 4))  # the proxy still sends half of them to the dead one
        assert_each_answered_once_in_order(tg, range(1, 4))
        assert sender.resent > 0
        assert await world.leader_pid() == survivor.process.pid
        assert "now polls the tasks" in survivor.output()
        assert "a stopped process left" in survivor.output()  # the dead one's half-written answers, made again

        # the task poller is the survivor now: a Midjourney task started through the proxy is delivered
        await sender.deliver(url, sender.update(ALICE, "/imagine a red fox in snow"))
        await wait_results(tg, ALICE, 1, within=30)


async def test_long_polling_refuses_a_second_process_on_the_same_database(world: World) -> None:
    tg = world.tg
    first_log = world.tmp / "poller.log"
    with first_log.open("wb") as out:
        first = await asyncio.create_subprocess_exec(
            *bot_command(), cwd=world.tmp, env=world.env(), stdout=out, stderr=asyncio.subprocess.STDOUT
        )
    world.replicas.append(Replica(0, first_log, first))
    try:
        await tg.wait_for(lambda: bool(tg.calls_of("getUpdates")), timeout=30)  # polling: it holds the lease
        second = await asyncio.create_subprocess_exec(
            *bot_command(),
            cwd=world.tmp,
            env=world.env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(second.communicate(), timeout=30)
        assert second.returncode == 2
        errors = [line for line in (stdout + stderr).decode().splitlines() if "ERROR" in line]
        assert len(errors) == 1 and "already long-polling" in errors[0], errors
        assert "Traceback" not in (stdout + stderr).decode()
        tg.send_text(ALICE, "still here", user_id=ALICE)  # the first one goes on polling
        await tg.wait_for(lambda: echoes(tg, ALICE) == ["echo: still here"], timeout=20)
    finally:
        first.send_signal(signal.SIGINT)
        await asyncio.wait_for(first.wait(), timeout=30)
    assert first.returncode == 0, first_log.read_text()[-2000:]
