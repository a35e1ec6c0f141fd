"""Transcription, speech, image generation and edits (docs/protocols.md, "Gateway: audio", "Gateway: images")."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .errors import WenwenError
from .http import GatewayHttp

# OpenAI picks the audio format by the file name; new-api passes the name on (docs/protocols.md, "Gateway: audio").
TRANSCRIBE_EXTENSIONS = frozenset({"flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm"})
TRANSCRIBE_LIMIT = 25 * 1024 * 1024
SPEECH_INPUT_LIMIT = 4096


class _ImageItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str | None = None
    b64_json: str | None = None


class _ImageResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    data: list[_ImageItem] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    """dall-e-3 answers with a URL (alive ~60 min), gpt-image-1 always with base64."""

    data: bytes | None
    url: str | None


def _images(body: Any) -> list[GeneratedImage]:
    parsed = _ImageResponse.model_validate(body)
    images = []
    for item in parsed.data:
        if item.b64_json:
            images.append(GeneratedImage(base64.b64decode(item.b64_json), None))
        elif item.url:
            images.append(GeneratedImage(None, item.url))
    if not images:
        raise WenwenError("the gateway answered without an image")
    return images


class MediaClient:
    def __init__(self, http: GatewayHttp) -> None:
        self._http = http

    async def transcribe(self, audio: bytes, filename: str, model: str) -> str:
        fields = {"model": model, "response_format": "json"}
        body, _ = await self._http.request_json(
            "POST",
            "/v1/audio/transcriptions",
            files={"file": (filename, audio, "application/octet-stream")},
            data=fields,
            retry_server_errors=False,
        )
        return str(body.get("text", "")) if isinstance(body, dict) else ""

    async def speech(self, text: str, model: str, voice: str, response_format: str = "opus") -> tuple[bytes, str]:
        response = await self._http.request(
            "POST",
            "/v1/audio/speech",
            json={"model": model, "input": text, "voice": voice, "response_format": response_format},
            retry_server_errors=False,
        )
        return response.content, response.headers.get("content-type", "")

    async def generate_image(self, prompt: str, model: str, options: dict[str, Any]) -> list[GeneratedImage]:
        body, _ = await self._http.request_json(
            "POST",
            "/v1/images/generations",
            json={"model": model, "prompt": prompt, "n": 1, **options},
            retry_server_errors=False,
        )
        return _images(body)

    async def edit_image(
        self, image: bytes, filename: str, mime: str, prompt: str, model: str, options: dict[str, Any]
    ) -> list[GeneratedImage]:
        body, _ = await self._http.request_json(
            "POST",
            "/v1/images/edits",
            files={"image": (filename, image, mime)},
            data={"model": model, "prompt": prompt, **{k: str(v) for k, v in options.items()}},
            retry_server_errors=False,
        )
        return _images(body)

    async def download(self, url: str, max_bytes: int = 50_000_000) -> bytes:
        data, _ = await self._http.download(url, max_bytes=max_bytes)
        return data
