"""``GET /v1/models`` and ``GET /v1/models/{id}`` (docs/protocols.md, "Gateway: model list")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import abort_openai, json_response, not_implemented

if TYPE_CHECKING:
    from .server import FakeWenwen

CREATED = 1626777600

# id, owned_by, supported_endpoint_types
_DEFAULTS: list[tuple[str, str, list[str]]] = [
    ("gpt-4o-mini", "openai", ["openai"]),
    ("gpt-4o", "openai", ["openai"]),
    ("gpt-4.1-mini", "openai", ["openai", "openai-response"]),
    ("o3-mini", "openai", ["openai", "openai-response"]),
    ("deepseek-reasoner", "deepseek", ["openai"]),
    ("deepseek-chat", "deepseek", ["openai"]),
    ("claude-3-5-sonnet-20241022", "anthropic", ["anthropic", "openai"]),
    ("claude-3-7-sonnet-20250219-thinking", "anthropic", ["anthropic", "openai"]),
    ("gemini-2.5-flash", "gemini", ["gemini", "openai"]),
    ("whisper-1", "openai", ["openai"]),
    ("gpt-4o-transcribe", "openai", ["openai"]),
    ("gpt-4o-mini-transcribe", "openai", ["openai"]),
    ("tts-1", "openai", ["openai"]),
    ("tts-1-hd", "openai", ["openai"]),
    ("dall-e-3", "openai", ["image-generation"]),
    ("gpt-image-1", "openai", ["image-generation"]),
    ("dall-e-2", "openai", ["image-generation"]),
    ("text-embedding-3-small", "openai", ["embeddings"]),
    *[
        (name, "custom", ["openai"])
        for name in (
            "mj_imagine",
            "mj_variation",
            "mj_reroll",
            "mj_blend",
            "mj_upscale",
            "mj_describe",
            "mj_modal",
            "mj_inpaint",
            "mj_zoom",
            "mj_custom_zoom",
            "mj_shorten",
            "mj_high_variation",
            "mj_low_variation",
            "mj_pan",
            "swap_face",
            "mj_upload",
        )
    ],
    # Responses / Anthropic-format chat models (appended: the order above is relied on)
    ("gpt-4.1", "openai", ["openai", "openai-response"]),
    ("o4-mini", "openai", ["openai", "openai-response"]),
    ("claude-sonnet-4-20250514", "anthropic", ["anthropic", "openai"]),
    # Video: listed with openai-video (POST /v1/videos); kling-v1 as an older build lists it, without (generic style)
    ("sora-2", "openai", ["openai-video"]),
    ("veo-3.1", "google", ["openai-video"]),
    ("kling-v1", "kling", ["openai"]),
    # Midjourney image edits and video (newer new-api builds; appended for the order above)
    ("mj_edits", "custom", ["openai"]),
    ("mj_video", "custom", ["openai"]),
]

DEFAULT_MODELS: list[dict[str, Any]] = [
    {"id": mid, "object": "model", "created": CREATED, "owned_by": owner, "supported_endpoint_types": types}
    for mid, owner, types in _DEFAULTS
]


def normalize_model(model: dict[str, Any] | str) -> dict[str, Any]:
    """Fill the fields of a ``dto.OpenAIModels`` entry; a bare string is taken as the id."""
    entry: dict[str, Any] = {"id": model} if isinstance(model, str) else dict(model)
    if "id" not in entry:
        raise ValueError(f"model entry without an id: {model!r}")
    entry.setdefault("object", "model")
    entry.setdefault("created", CREATED)
    entry.setdefault("owned_by", "custom")
    entry.setdefault("supported_endpoint_types", ["openai"])
    return {k: (list(v) if isinstance(v, list) else v) for k, v in entry.items()}


def _rfc3339(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _anthropic_list(models: list[dict[str, Any]]) -> dict[str, Any]:
    data = [
        {"id": m["id"], "created_at": _rfc3339(int(m["created"])), "display_name": m["id"], "type": "model"}
        for m in models
    ]
    return {
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else "",
        "last_id": data[-1]["id"] if data else "",
    }


def _gemini_list(models: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "models": [
            {
                "name": f"models/{m['id']}",
                "displayName": m["id"],
                "description": "",
                "supportedGenerationMethods": ["generateContent", "streamGenerateContent"],
            }
            for m in models
        ],
        "nextPageToken": None,
    }


def register(fake: FakeWenwen, app: web.Application) -> None:
    async def list_models(request: web.Request) -> web.StreamResponse:
        if fake.models_errors:
            status, message = fake.models_errors.popleft()
            raise abort_openai(request, status, message)
        headers = request.headers
        if headers.get("x-api-key") and headers.get("anthropic-version"):
            return json_response(_anthropic_list(fake.models))
        if headers.get("x-goog-api-key") or request.query.get("key"):
            return json_response(_gemini_list(fake.models))
        return json_response({"success": True, "object": "list", "data": fake.models})

    async def get_model(request: web.Request) -> web.StreamResponse:
        model_id = request.match_info["model"]
        for model in fake.models:
            if model["id"] == model_id:
                return json_response(model)
        # new-api answers an unknown id with HTTP 200 and an error object.
        return json_response(
            {
                "error": {
                    "message": f"The model '{model_id}' does not exist",
                    "type": "invalid_request_error",
                    "param": "model",
                    "code": "model_not_found",
                }
            }
        )

    async def delete_model(request: web.Request) -> web.StreamResponse:
        return not_implemented()

    app.router.add_get("/v1/models", list_models, allow_head=False)
    app.router.add_get("/v1/models/{model}", get_model, allow_head=False)
    app.router.add_delete("/v1/models/{model}", delete_model)
