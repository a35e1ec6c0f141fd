"""`POST /v1/embeddings` as new-api relays it to OpenAI: strict about the input, deterministic vectors.

A vector is a bag of "concepts": each word adds one dimension, and the words of one CONCEPTS group
share it, so texts that say the same thing in other words are close (what a test of search by
meaning needs) and texts without a shared concept are orthogonal.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import json_response
from .media_common import distribute_json, validation_error

if TYPE_CHECKING:
    from .server import FakeWenwen

PATH = "/v1/embeddings"
CODE = "invalid_request"
DIMENSIONS = 256
MAX_INPUTS = 2048  # OpenAI's limit of inputs per request
MAX_INPUT_TOKENS = 8192  # per input, text-embedding-3-*
CONCEPTS = (
    ("car", "cars", "automobile", "vehicle", "汽车", "车"),
    ("cat", "cats", "kitten", "feline", "猫"),
    ("weather", "rain", "forecast", "天气", "下雨"),
    ("money", "budget", "price", "cost", "钱", "预算"),
)
_WORD = re.compile(r"\w+", re.UNICODE)


def _dimension(word: str) -> int:
    for number, group in enumerate(CONCEPTS):
        if word in group:
            return number
    return len(CONCEPTS) + int(hashlib.sha256(word.encode()).hexdigest(), 16) % (DIMENSIONS - len(CONCEPTS))


def embed(text: str) -> list[float]:
    vector = [0.0] * DIMENSIONS
    for word in _WORD.findall(text.lower()):
        vector[_dimension(word)] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def tokens(text: str) -> int:
    return max(1, len(text) // 4)


def register(fake: FakeWenwen, app: web.Application) -> None:
    async def embeddings(request: web.Request) -> web.StreamResponse:
        data, model = distribute_json(fake, request, "text-embedding-3-small")
        if not isinstance(data, dict) or not model:
            raise validation_error(request, "model is required", CODE)
        raw = data.get("input")
        inputs: list[Any] = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        if not inputs or not all(isinstance(item, str) for item in inputs):
            raise validation_error(request, "'input' must be a string or an array of strings", CODE)
        if len(inputs) > MAX_INPUTS:
            raise validation_error(request, f"'input' must have at most {MAX_INPUTS} items", CODE)
        for item in inputs:
            if not item:
                raise validation_error(request, "'input' cannot contain an empty string", CODE)
            if tokens(item) > MAX_INPUT_TOKENS:
                message = f"This model's maximum context length is {MAX_INPUT_TOKENS} tokens"
                raise validation_error(request, message, CODE)
        if data.get("encoding_format") not in (None, "float"):
            raise validation_error(request, "only encoding_format=float is served here", CODE)
        used = sum(tokens(item) for item in inputs)
        body = {
            "object": "list",
            "data": [{"object": "embedding", "index": n, "embedding": embed(item)} for n, item in enumerate(inputs)],
            "model": model,
            "usage": {"prompt_tokens": used, "total_tokens": used},
        }
        return json_response(body, 200)

    app.router.add_post(PATH, embeddings)
