"""Search by meaning: compact vectors and a liberal reading of embeddings answers."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.meaning import pack, unpack
from bot.wenwen import WenwenError
from bot.wenwen.embeddings import _vectors


def test_a_vector_is_kept_as_unit_float16_and_a_zero_one_is_not_kept() -> None:
    blob = pack([3.0, 4.0] + [0.0] * 254)
    assert blob is not None and len(blob) == 2 * 256
    restored = unpack(blob)
    assert restored[:2] == pytest.approx([0.6, 0.8], abs=1e-3)
    assert float(np.linalg.norm(restored)) == pytest.approx(1.0, abs=1e-3)
    assert pack([0.0, 0.0]) is None
    assert pack([float("nan"), 1.0]) is None


def test_items_are_put_back_in_order_by_index() -> None:
    body = {"data": [{"index": 1, "embedding": [0, 1]}, {"index": 0, "embedding": [1.5, 0]}]}
    assert _vectors(body, 2) == [[1.5, 0.0], [0.0, 1.0]]
    assert _vectors({"data": [{"embedding": [1, 2]}]}, 1) == [[1.0, 2.0]]  # no index: the position


@pytest.mark.parametrize(
    "body",
    [
        {"data": []},
        {"data": [{"index": 0, "embedding": [1]}]},  # one for two texts
        {"data": [{"index": 0, "embedding": [1]}, {"index": 0, "embedding": [2]}]},
        {"data": [{"index": 0, "embedding": "AAAA"}, {"index": 1, "embedding": [1]}]},
        {"data": [{"index": 0, "embedding": [True]}, {"index": 1, "embedding": [1]}]},
        {"data": [{"index": 5, "embedding": [1]}, {"index": 1, "embedding": [1]}]},
        ["not", "an", "object"],
        {"error": {"message": "x"}},
    ],
)
def test_a_malformed_answer_is_an_upstream_error(body: object) -> None:
    with pytest.raises(WenwenError):
        _vectors(body, 2)
