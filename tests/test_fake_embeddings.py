"""The fake's /v1/embeddings (tests/fakes/wenwen/embeddings.py) over real loopback HTTP."""

from __future__ import annotations

import httpx

from tests.fakes.wenwen import FakeWenwen
from tests.fakes.wenwen.embeddings import DIMENSIONS, MAX_INPUTS

KEY = "sk-test-wenwen-key"


async def post(fake: FakeWenwen, body: object, key: str = KEY) -> httpx.Response:
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        return await client.post("/v1/embeddings", json=body, headers={"Authorization": f"Bearer {key}"})


def dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_vectors_in_order_with_usage_and_words_of_one_meaning_close(fake: FakeWenwen) -> None:
    response = await post(fake, {"model": "text-embedding-3-small", "input": ["my car", "an automobile", "a cat"]})
    assert response.status_code == 200
    body = response.json()
    assert [item["index"] for item in body["data"]] == [0, 1, 2]
    car, automobile, cat = (item["embedding"] for item in body["data"])
    assert len(car) == DIMENSIONS
    assert dot(car, automobile) > 0.4 > dot(car, cat)
    assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] > 0


async def test_bad_inputs_and_keys_are_refused(fake: FakeWenwen) -> None:
    for body in (
        {"model": "text-embedding-3-small", "input": ""},
        {"model": "text-embedding-3-small", "input": [1]},
        {"model": "text-embedding-3-small"},
        {"model": "text-embedding-3-small", "input": ["a"] * (MAX_INPUTS + 1)},
    ):
        assert (await post(fake, body)).status_code == 400
    assert (await post(fake, {"model": "text-embedding-3-small", "input": "x"}, key="sk-wrong")).status_code == 401
    assert (await post(fake, {"model": "no-such-model", "input": "x"})).status_code >= 400
