"""/find by meaning (EMBEDDING_MODEL): messages embedded in batches in the background, ranked by cosine."""

from __future__ import annotations

from typing import Any

from storage import ChatKey
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.wenwen import FakeWenwen
from tests.harness import ALICE

from .test_history import buttons, said

MODEL = "text-embedding-3-small"


def embedding_requests(ww: FakeWenwen) -> list[dict[str, Any]]:
    return [r.json for r in ww.requests_to("/v1/embeddings")]


async def two_conversations(tg: FakeTelegram) -> None:
    await said(tg, ALICE, "my automobile broke down on the highway")
    await said(tg, ALICE, "/new")
    await said(tg, ALICE, "a kitten sleeps on the sofa")


async def test_find_finds_a_conversation_by_meaning_after_one_batched_request(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    bot = await make_bot(embedding_model=MODEL)
    await two_conversations(tg)
    assert embedding_requests(ww) == []  # never on a turn's path
    meaning = bot.services.history.meaning
    assert await meaning.index_batch() == 4  # two questions, two answers
    assert await meaning.index_batch() == 0  # nothing left
    [batch] = embedding_requests(ww)
    assert batch["model"] == MODEL and len(batch["input"]) == 4
    car = await bot.services.storage.history.search(ChatKey(ALICE), ["vehicle"])
    assert car == []  # no text match: only the meaning can find it
    found = await said(tg, ALICE, "/find vehicle")
    conversations = [data for _, data in buttons(found)]
    assert len(conversations) == 1
    first = min(c.id for c in await bot.services.storage.history.page(ChatKey(ALICE), 0, 10))
    assert conversations == [f"hist:o:{first}"]
    assert "automobile" in (found.text or "")
    rows = await bot.services.storage.usage.for_user(ALICE, bot.services.limits.today())
    [embedding_use] = [row for row in rows if row.model == MODEL]  # the batch's and the query's tokens are hers
    assert embedding_use.prompt_tokens > 0 and embedding_use.requests == 0


async def test_without_an_embedding_model_nothing_is_embedded_and_find_is_by_text(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    bot = await make_bot()
    await two_conversations(tg)
    assert await bot.services.history.meaning.index_batch() == 0
    reply = await said(tg, ALICE, "/find vehicle")
    assert "Nothing found" in (reply.text or "")
    assert embedding_requests(ww) == []


async def test_a_failing_embeddings_route_leaves_text_search_working(
    tg: FakeTelegram, ww: FakeWenwen, make_bot
) -> None:
    bot = await make_bot(embedding_model="no-such-embedding-model")
    await two_conversations(tg)
    assert await bot.services.history.meaning.index_batch() == 0  # refused: tried again later
    reply = await said(tg, ALICE, "/find kitten")
    assert [data for _, data in buttons(reply)]  # the text match is still found
