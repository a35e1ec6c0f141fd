"""`POST /v1/embeddings`: vectors for texts, in the order asked, with the tokens they cost.

Liberal in what it accepts: items may come out of order (`index`), `usage` may be missing (then the
tokens are estimated by the caller), and a body that is not the OpenAI list shape is an upstream error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import ErrorKind, WenwenError
from .http import GatewayHttp

PATH = "/v1/embeddings"


@dataclass(frozen=True, slots=True)
class Embeddings:
    vectors: list[list[float]]  # one per text, in the order given
    prompt_tokens: int | None  # None: the gateway did not say


class EmbeddingsClient:
    def __init__(self, http: GatewayHttp) -> None:
        self._http = http

    async def embed(self, model: str, texts: list[str]) -> Embeddings:
        """Vectors for `texts` (non-empty strings); raises WenwenError on any failure or a malformed answer."""
        body, _ = await self._http.request_json("POST", PATH, json={"model": model, "input": texts})
        vectors = _vectors(body, len(texts))
        usage = body.get("usage") if isinstance(body, dict) else None
        tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        return Embeddings(vectors, tokens if isinstance(tokens, int) and tokens >= 0 else None)


def _vectors(body: Any, expected: int) -> list[list[float]]:
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list) or len(items) != expected:
        raise WenwenError("the gateway's embeddings answer has no usable data", kind=ErrorKind.UPSTREAM)
    ordered: list[list[float] | None] = [None] * expected
    for position, item in enumerate(items):
        index = item.get("index", position) if isinstance(item, dict) else None
        vector = item.get("embedding") if isinstance(item, dict) else None
        if not isinstance(index, int) or not 0 <= index < expected or not isinstance(vector, list) or not vector:
            raise WenwenError("the gateway's embeddings answer is malformed", kind=ErrorKind.UPSTREAM)
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in vector):
            raise WenwenError("the gateway's embeddings answer is not a list of numbers", kind=ErrorKind.UPSTREAM)
        ordered[index] = [float(v) for v in vector]
    if any(vector is None for vector in ordered):
        raise WenwenError("the gateway's embeddings answer repeats an index", kind=ErrorKind.UPSTREAM)
    return [vector for vector in ordered if vector is not None]
