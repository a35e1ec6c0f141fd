"""Voice in and out, and pictures: transcription, speech, image generation and edits."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.wenwen import ErrorKind, WenwenError
from bot.wenwen.media import SPEECH_INPUT_LIMIT, TRANSCRIBE_EXTENSIONS, TRANSCRIBE_LIMIT, MediaClient

from .limits import DailyLimits

_MIME_EXTENSIONS = {
    "audio/ogg": "ogg",
    "audio/opus": "ogg",  # Ogg/Opus; OpenAI refuses the .opus name but takes the same bytes as .ogg
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/m4a": "m4a",
    "audio/aac": "m4a",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
    "audio/webm": "webm",
    "video/mp4": "mp4",
    "video/webm": "webm",
}


class MediaTooLarge(WenwenError):
    """Refused before any upload: the file is over a limit (Telegram's or the gateway's)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes is over the {limit} byte limit", status=413, kind=ErrorKind.TOO_LARGE)
        self.size = size
        self.limit = limit


def transcription_filename(kind: str, file_name: str | None, mime_type: str | None) -> str:
    """A name whose extension the transcription endpoint accepts (it decides the format by it).

    Voice notes are Ogg/Opus (`.oga` from Telegram): sent as `voice.ogg`.
    """
    if kind == "voice":
        return "voice.ogg"
    if file_name and "." in file_name:
        named = file_name.rsplit(".", 1)[1].lower()
        if named in TRANSCRIBE_EXTENSIONS:
            return f"{kind}.{named}"
    extension = _MIME_EXTENSIONS.get((mime_type or "").split(";")[0].strip().lower())
    return f"{kind}.{extension or ('mp4' if kind == 'video_note' else 'ogg')}"


def speakable(text: str, limit: int = SPEECH_INPUT_LIMIT) -> str:
    """At most `limit` characters, cut at the end of a sentence where one is near."""
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)  # code is not read aloud
    text = re.sub(r"[*_`#>|]+", "", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(mark) for mark in (". ", "! ", "? ", "。", "！", "？", "\n"))
    return cut[: end + 1].strip() if end > limit // 2 else cut


@dataclass(frozen=True, slots=True)
class ImageRequest:
    prompt: str
    options: dict[str, Any] = field(default_factory=dict)


_SIZES = {
    "dall-e-3": {"wide": "1792x1024", "tall": "1024x1792", "square": "1024x1024"},
    "default": {"wide": "1536x1024", "tall": "1024x1536", "square": "1024x1024"},
}


def image_size(shape: str, model: str) -> str:
    """The size a shape (square, wide, tall) has for the model."""
    return _SIZES["dall-e-3" if model.startswith("dall-e-3") else "default"][shape]


def parse_image_flags(text: str, model: str) -> ImageRequest:
    """`/image a cat --wide --hd` or `--size 1792x1024 --quality hd --style natural`."""
    options: dict[str, Any] = {}
    words: list[str] = []
    tokens = text.split()
    index = 0
    while index < len(tokens):
        token = tokens[index].lower()
        value = tokens[index + 1] if index + 1 < len(tokens) else ""
        if token in ("--wide", "--tall", "--square"):
            options["size"] = image_size(token[2:], model)
        elif token == "--hd":
            options["quality"] = "hd" if model.startswith("dall-e") else "high"
        elif token in ("--size", "--quality", "--style") and value:
            options[token[2:]] = value.replace("×", "x").lower()
            index += 1
        else:
            words.append(tokens[index])
        index += 1
    return ImageRequest(" ".join(words).strip(), options)


class MediaService:
    """Each call is a paid call of the user's: charged to their daily limits first, given back if it fails."""

    def __init__(
        self,
        client: MediaClient,
        *,
        transcribe_model: str,
        tts_model: str,
        tts_voice: str,
        image_model: str,
        edit_model: str,
        limits: DailyLimits | None = None,
    ) -> None:
        self._client = client
        self.transcribe_model = transcribe_model
        self._tts_model = tts_model
        self._tts_voice = tts_voice
        self.image_model = image_model
        self._edit_model = edit_model
        self._limits = limits

    async def transcribe(self, audio: bytes, filename: str, user_id: int) -> str:
        if len(audio) > TRANSCRIBE_LIMIT:
            raise MediaTooLarge(len(audio), TRANSCRIBE_LIMIT)
        async with self._charged(user_id, self.transcribe_model):
            return (await self._client.transcribe(audio, filename, self.transcribe_model)).strip()

    async def speak(self, text: str, user_id: int) -> bytes:
        """Ogg/Opus speech, which Telegram shows as a voice note."""
        async with self._charged(user_id, self._tts_model):
            audio, _ = await self._client.speech(speakable(text), self._tts_model, self._tts_voice, "opus")
        return audio

    async def draw(self, request: ImageRequest, user_id: int) -> list[bytes]:
        async with self._charged(user_id, self.image_model, images=1):
            generated = await self._client.generate_image(request.prompt, self.image_model, request.options)
        return [await self._bytes(image.data, image.url) for image in generated]

    async def edit(self, image: bytes, mime: str, request: ImageRequest, user_id: int) -> list[bytes]:
        extension = {"image/png": "png", "image/webp": "webp"}.get(mime, "jpg")
        async with self._charged(user_id, self._edit_model, images=1):
            generated = await self._client.edit_image(
                image, f"image.{extension}", mime, request.prompt, self._edit_model, request.options
            )
        return [await self._bytes(item.data, item.url) for item in generated]

    @asynccontextmanager
    async def _charged(self, user_id: int, model: str, *, images: int = 0) -> AsyncIterator[None]:
        """Charge the call to the user's daily limits (DailyLimitReached: no call is made); a failed call is free."""
        if self._limits is not None:
            await self._limits.charge(user_id, model, images=images)
        try:
            yield
        except WenwenError:
            if self._limits is not None:
                await self._limits.give_back(user_id, model, images=images)
            raise

    async def _bytes(self, data: bytes | None, url: str | None) -> bytes:
        if data is not None:
            return data
        assert url is not None
        try:
            return await self._client.download(url)  # dall-e URLs expire: fetch now, upload as bytes
        except WenwenError as error:
            raise WenwenError(
                f"the image link could not be downloaded ({error.message})", kind=ErrorKind.UPSTREAM
            ) from None
