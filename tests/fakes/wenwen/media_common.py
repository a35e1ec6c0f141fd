"""Shared pieces of the audio and image routes: scripted upstream answers and the error texts of
the layers a media request crosses (docs/protocols.md, "Gateway: audio", "Gateway: images").

1. new-api's distributor — OpenAI-shaped ``abort_openai`` errors (400 / 503), see gateway.py;
2. new-api's request validation — HTTP 400 ``{"type":"new_api_error","code":"invalid_audio_request"}``
   (``invalid_image_request`` for images), as older new-api builds answer. Current
   new-api renders the same texts as HTTP 500 ``invalid_request``; the fake follows the older builds;
3. the adaptor (``ConvertAudioRequest`` / ``ConvertImageRequest``) — HTTP 500
   ``convert_request_failed`` (``file is required``, ``image is required``);
4. the upstream (OpenAI), whose error is passed through with its status and type, ``param: null``
   becoming ``""`` and `` (request id: …)`` appended to the message — see upstream.py.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from aiohttp import web

from .errors import GatewayError, ServerStopping, relay_error, scripted_error
from .gateway import body_and_model, check_model, go_type, unmarshal_error

if TYPE_CHECKING:
    from .server import FakeWenwen


@dataclass
class MediaScript:
    """One scripted upstream answer for the next valid audio/image request of one family."""

    status: int = 200
    error_message: str = ""
    error_type: str = "new_api_error"
    error_code: str | None = None
    delay: float = 0.0
    text: str | None = None  # transcripts
    audio: bytes | None = None  # speech body
    content_type: str | None = None  # speech Content-Type
    revised_prompt: str | None = None  # dall-e-3
    image: bytes | None = None  # image bytes served / base64-encoded


class ScriptOptions(TypedDict, total=False):
    """The :class:`MediaScript` fields every ``script_*`` method takes as keywords (defaults there)."""

    error_type: str
    error_code: str | None
    delay: float


async def next_script(
    fake: FakeWenwen, request: web.Request, scripts: deque[MediaScript], model: str
) -> tuple[MediaScript | None, web.Response | None]:
    """The next scripted answer of a family (None when none is queued) after its ``delay``, and
    the scripted error response when its status is not 200.

    A client that hangs up during the delay counts in ``fake.disconnects``; stopping the fake
    ends the request with a bare 503."""
    script = scripts.popleft() if scripts else None
    if script is not None and script.delay > 0:
        try:
            await fake.sleep(script.delay)
        except asyncio.CancelledError:
            fake.note_disconnect()
            raise
        except ServerStopping:
            raise GatewayError(web.Response(status=503)) from None
    if script is not None and script.status != 200:
        error = scripted_error(
            request, script.status, script.error_message, model, script.error_type, script.error_code
        )
        return script, error
    return script, None


# --------------------------------------------------------------- new-api layers
def distribute_json(fake: FakeWenwen, request: web.Request, default_model: str) -> tuple[Any, str]:
    """``Distribute`` for a JSON media route: (parsed body, model as sent or "").

    The channel is looked up for ``default_model`` when the body names none (new-api's
    ``GetStringIfEmpty``), so a missing model only fails later, in validation."""
    data, model = body_and_model(request)
    check_model(fake, request, model or default_model)
    return data, model


def check_string_fields(
    request: web.Request, data: Any, struct: str, fields: Sequence[str], code: str
) -> dict[str, Any]:
    """Go's decoding of the body into ``dto.<struct>``: an object whose ``fields`` are strings."""
    if not isinstance(data, dict):
        message = f"json: cannot unmarshal {go_type(data)} into Go value of type dto.{struct}"
        raise validation_error(request, message, code)
    for name in fields:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise validation_error(request, unmarshal_error(f"{struct}.{name}", value, "string"), code)
    return data


def validation_error(request: web.Request, message: str, code: str) -> GatewayError:
    """``OpenAIErrorWrapper(err, "invalid_audio_request"|"invalid_image_request", 400)``."""
    return relay_error(request, 400, message, code=code)


def convert_failed(request: web.Request, message: str) -> GatewayError:
    """``types.NewError(err, ErrorCodeConvertRequestFailed)`` — HTTP 500."""
    return relay_error(request, 500, message, code="convert_request_failed")
