"""Audio through new-api (docs/protocols.md, "Gateway: audio"): ``POST /v1/audio/transcriptions``,
``/v1/audio/translations`` (multipart) and ``/v1/audio/speech`` (JSON → binary audio).

Layers, in the order a request meets them (see media_common.py for the error shapes):

* distributor — the model named in the form/body (``whisper-1`` / ``tts-1`` when none) must be
  listed, else 503 ``model_not_found``;
* validation — ``model is required`` (400 ``invalid_audio_request``), Go type errors for JSON;
* adaptor — a transcription without a ``file`` part (or a non-multipart body) → 500
  ``convert_request_failed`` ``file is required``;
* upstream (OpenAI) — upload over 25 MiB → 413 ``server_error`` ``Maximum content size limit
  (26214400) exceeded (N bytes read)`` (OpenAI's real answer; counted on the whole upload as
  OpenAI does, so a file a little under 25 MiB can already be refused); ``response_format``,
  ``temperature``, then the **file name extension** (case-insensitive, the part's Content-Type
  and bytes are not looked at): anything but flac/m4a/mp3/mp4/mpeg/mpga/oga/ogg/wav/webm → 400
  ``Invalid file format. Supported formats: [...]``; an empty file → 400 ``audio_too_short``.
  For speech: ``input`` (1–4096 characters), ``voice``, ``response_format``, ``speed`` (0.25–4).

Scripted answers (FIFO, one per request that passed every check) live on :class:`AudioMixin`.
Uploaded parts and form fields are recorded, see media_multipart.py.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Unpack

from aiohttp import web

from .errors import json_response
from .gateway import check_model, parse_json_body, unmarshal_error
from .media_common import (
    MediaScript,
    ScriptOptions,
    check_string_fields,
    convert_failed,
    distribute_json,
    next_script,
    validation_error,
)
from .media_formats import SPEECH_FORMATS, speech_audio
from .media_multipart import form_and_model
from .recording import BODY_KEY
from .state import lazy_state
from .upstream import empty_string, invalid_type, invalid_value, out_of_range, string_too_long, upstream_error

if TYPE_CHECKING:
    from .server import FakeWenwen

TRANSCRIPTIONS = "/v1/audio/transcriptions"
TRANSLATIONS = "/v1/audio/translations"
SPEECH = "/v1/audio/speech"

CODE = "invalid_audio_request"
TRANSCRIBE_EXTENSIONS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
INVALID_FILE_FORMAT = "Invalid file format. Supported formats: " + str(list(TRANSCRIBE_EXTENSIONS))
AUDIO_TOO_SHORT = "Audio file is too short. Minimum audio length is 0.1 seconds."
UPLOAD_LIMIT = 25 * 1024 * 1024  # 26214400
TRANSCRIBE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
TOKEN_MODEL_FORMATS = ("json", "text")  # gpt-4o(-mini)-transcribe
SPEECH_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse")
SPEECH_RESPONSE_FORMATS = tuple(SPEECH_FORMATS)
SPEECH_INPUT_LIMIT = 4096
BYTES_PER_SECOND = 4000  # ~32 kbit/s voice note: the fake's duration estimate
_LANGUAGES = {
    "en": "english",
    "ru": "russian",
    "uk": "ukrainian",
    "be": "belarusian",
    "kk": "kazakh",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "pl": "polish",
    "tr": "turkish",
    "zh": "chinese",
    "ja": "japanese",
    "ko": "korean",
    "ar": "arabic",
    "hi": "hindi",
}


@dataclass
class _AudioState:
    transcripts: deque[MediaScript] = field(default_factory=deque)
    speeches: deque[MediaScript] = field(default_factory=deque)


class AudioMixin:
    """The audio scripting API of ``FakeWenwen``."""

    def _audio(self) -> _AudioState:
        return lazy_state(self, "_audio_state", _AudioState)

    def script_transcript(
        self,
        text: str | None = None,
        *,
        status: int = 200,
        error_message: str = "",
        **options: Unpack[ScriptOptions],
    ) -> None:
        """The answer to the next valid transcription/translation (FIFO): ``text`` (default
        ``"transcript of <N> bytes"``) rendered in the requested ``response_format``, or — when
        ``status`` is not 200 — an OpenAI-shaped error (``error_message`` defaults to the
        gateway's text for that status; `` (request id: …)`` is appended). ``delay`` postpones it."""
        self._audio().transcripts.append(MediaScript(status, error_message, text=text, **options))

    def script_speech(
        self,
        status: int = 200,
        error_message: str = "",
        *,
        audio: bytes | None = None,
        content_type: str | None = None,
        **options: Unpack[ScriptOptions],
    ) -> None:
        """The answer to the next valid ``/v1/audio/speech`` (FIFO): ``audio``/``content_type``
        instead of the generated silence in the requested format, or an error when ``status`` is
        not 200."""
        self._audio().speeches.append(
            MediaScript(status, error_message, audio=audio, content_type=content_type, **options)
        )


# ------------------------------------------------------------------- rendering
def _extension(filename: str) -> str:
    return filename.rpartition(".")[2].lower() if "." in filename else ""


def _timestamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _usage(model: str, duration: float, text: str) -> dict[str, Any]:
    if "transcribe" in model:
        audio_tokens = max(1, math.ceil(duration * 10))
        output = max(1, math.ceil(len(text) / 4))
        return {
            "type": "tokens",
            "input_tokens": audio_tokens,
            "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
            "output_tokens": output,
            "total_tokens": audio_tokens + output,
        }
    return {"type": "duration", "seconds": max(1, math.ceil(duration))}


def _verbose(text: str, task: str, language: str, duration: float, granularities: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"task": task, "language": language, "duration": duration, "text": text}
    words = text.split()
    if "word" in granularities:
        step = duration / max(1, len(words))
        body["words"] = [
            {"word": word, "start": round(i * step, 2), "end": round((i + 1) * step, 2)} for i, word in enumerate(words)
        ]
    if "segment" in granularities or not granularities:
        body["segments"] = [
            {
                "id": 0,
                "seek": 0,
                "start": 0.0,
                "end": duration,
                "text": " " + text,
                "tokens": [50364 + i for i in range(len(words) + 1)],
                "temperature": 0.0,
                "avg_logprob": -0.28,
                "compression_ratio": 1.23,
                "no_speech_prob": 0.01,
            }
        ]
    return body


def render_transcript(
    text: str,
    response_format: str,
    *,
    model: str,
    task: str,
    language: str,
    duration: float,
    granularities: list[str],
) -> web.Response:
    if response_format == "json":
        return json_response({"text": text, "usage": _usage(model, duration, text)}, gin=False)
    if response_format == "verbose_json":
        return json_response(_verbose(text, task, language, duration, granularities), gin=False)
    if response_format == "srt":
        body = f"1\n{_timestamp(0, ',')} --> {_timestamp(duration, ',')}\n{text}\n\n"
    elif response_format == "vtt":
        body = f"WEBVTT\n\n{_timestamp(0, '.')} --> {_timestamp(duration, '.')}\n{text}\n\n"
    else:
        body = text + "\n"
    return web.Response(text=body, content_type="text/plain", charset="utf-8")


# ------------------------------------------------------------------- handlers
def register(fake: FakeWenwen, app: web.Application) -> None:
    state = fake._audio()

    def json_model(request: web.Request) -> str:
        """The model of a JSON body sent to a multipart route (the distributor still reads it)."""
        data = parse_json_body(request)
        model = data.get("model") if isinstance(data, dict) else None
        if model is not None and not isinstance(model, str):
            raise validation_error(request, unmarshal_error("AudioRequest.model", model, "string"), CODE)
        return model or ""

    async def transcribe(request: web.Request, task: str) -> web.StreamResponse:
        form, model, parse_error = form_and_model(request, json_model)
        check_model(fake, request, model or "whisper-1")
        if parse_error:
            raise validation_error(request, parse_error, CODE)
        if not model:
            raise validation_error(request, "model is required", CODE)
        uploads = form.files_named("file") if form is not None else []
        if form is None or not uploads:
            raise convert_failed(request, "file is required")
        upload = uploads[0]

        # --- the upstream (OpenAI)
        size = len(request[BODY_KEY])
        if size > UPLOAD_LIMIT:
            read = min(size, UPLOAD_LIMIT + 8192)
            message = f"Maximum content size limit ({UPLOAD_LIMIT}) exceeded ({read} bytes read)"
            raise upstream_error(request, message, status=413, type_="server_error")
        response_format = form.value("response_format") or "json"
        if response_format not in TRANSCRIBE_FORMATS:
            raise invalid_value(request, "response_format", response_format, TRANSCRIBE_FORMATS)
        if "transcribe" in model and response_format not in TOKEN_MODEL_FORMATS:
            message = (
                f"response_format '{response_format}' is not compatible with model '{model}'. "
                "Use 'json' or 'text' instead."
            )
            raise upstream_error(request, message, param="response_format", code="unsupported_value")
        if form.has("temperature"):
            try:
                temperature = float(form.value("temperature"))
            except ValueError:
                raise invalid_type(request, "temperature", "a decimal", form.value("temperature")) from None
            error = out_of_range(request, "temperature", temperature, 0, 1)
            if error is not None:
                raise error
        if _extension(upload.base_name) not in TRANSCRIBE_EXTENSIONS:
            raise upstream_error(request, INVALID_FILE_FORMAT)
        if not upload.data:
            raise upstream_error(request, AUDIO_TOO_SHORT, param="file", code="audio_too_short")

        script, scripted = await next_script(fake, request, state.transcripts, model)
        if scripted is not None:
            return scripted
        text = f"transcript of {len(upload.data)} bytes"
        if script is not None and script.text is not None:
            text = script.text
        code = form.value("language").lower()
        language = "english" if task == "translate" else _LANGUAGES.get(code, code or "english")
        granularities = [v for k, v in form.values if k in ("timestamp_granularities[]", "timestamp_granularities")]
        return render_transcript(
            text,
            response_format,
            model=model,
            task=task,
            language=language,
            duration=max(0.1, round(len(upload.data) / BYTES_PER_SECOND, 2)),
            granularities=granularities,
        )

    async def transcriptions(request: web.Request) -> web.StreamResponse:
        return await transcribe(request, "transcribe")

    async def translations(request: web.Request) -> web.StreamResponse:
        return await transcribe(request, "translate")

    async def speech(request: web.Request) -> web.StreamResponse:
        data, model = distribute_json(fake, request, "tts-1")
        fields = ("model", "input", "voice", "instructions", "response_format", "stream_format")
        body = check_string_fields(request, data, "AudioRequest", fields, CODE)
        speed = body.get("speed")
        if speed is not None and (isinstance(speed, bool) or not isinstance(speed, int | float)):
            raise validation_error(request, unmarshal_error("AudioRequest.speed", speed, "float64"), CODE)
        if not model:
            raise validation_error(request, "model is required", CODE)

        # --- the upstream (OpenAI); new-api always sends "input" and "voice", "" when absent
        text = body.get("input") or ""
        if not text:
            raise empty_string(request, "input")
        if len(text) > SPEECH_INPUT_LIMIT:
            raise string_too_long(request, "input", SPEECH_INPUT_LIMIT, len(text))
        voice = body.get("voice") or ""
        if voice not in SPEECH_VOICES:
            raise invalid_value(request, "voice", voice, SPEECH_VOICES)
        response_format = body.get("response_format") or "mp3"
        if response_format not in SPEECH_RESPONSE_FORMATS:
            raise invalid_value(request, "response_format", response_format, SPEECH_RESPONSE_FORMATS)
        if speed is not None:
            error = out_of_range(request, "speed", float(speed), 0.25, 4.0)
            if error is not None:
                raise error

        script, scripted = await next_script(fake, request, state.speeches, model)
        if scripted is not None:
            return scripted
        seconds = min(10, max(1, math.ceil(len(text) / 15)))
        content_type, audio = speech_audio(response_format, seconds)
        if script is not None and script.audio is not None:
            audio = script.audio
        if script is not None and script.content_type is not None:
            content_type = script.content_type
        return web.Response(body=audio, headers={"Content-Type": content_type})

    app.router.add_post(TRANSCRIPTIONS, transcriptions)
    app.router.add_post(TRANSLATIONS, translations)
    app.router.add_post(SPEECH, speech)
