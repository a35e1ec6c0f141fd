"""Images through new-api (docs/protocols.md, "Gateway: images"): ``POST /v1/images/generations`` (JSON),
``POST /v1/images/edits`` (multipart) and the auth-free CDN ``GET /files/img-<id>.png`` the
returned URLs point to. (``/v1/images/variations`` stays 501, registered in server.py.)

Layers, in order (error shapes in media_common.py):

* distributor — generations: the body's model (``dall-e`` when none) must be listed, else 503;
  edits: the form's ``model`` is required (400 ``未指定模型名称…``) and must be listed;
* validation (400 ``invalid_image_request``) — generations: Go type errors, ``prompt is
  required``, a ``×`` in ``size``, dall-e-2/dall-e-3 sizes; edits: an unparsable form;
* adaptor — an edit without an ``image`` / ``image[]`` file part → 500 ``image is required``;
* upstream (OpenAI) — per model: dall-e-3 ``n`` must be 1, quality standard|hd, style
  vivid|natural; gpt-image-1 size 1024x1024|1536x1024|1024x1536|auto, quality
  low|medium|high|auto, ``response_format`` ignored, always ``b64_json`` + ``usage``; edits:
  dall-e-2 takes one square PNG under 4 MB (RGBA/LA/L unless a mask is sent), gpt-image-1 up to
  16 PNG/JPEG/WEBP images (judged by their magic bytes) under 25 MB each.

Generated images are real PNGs of the requested size, kept in ``fake.image_files`` under their
file name and served at ``<base_url>/files/<name>`` (403 Azure-style XML once
``fake.image_url_expired`` is set, 404 for unknown names).
"""

from __future__ import annotations

import base64
import math
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Unpack

from aiohttp import web

from .errors import abort_openai, json_response, random_id
from .gateway import MODEL_NAME_REQUIRED, body_and_model, check_model, integer_unmarshal_error
from .media_common import (
    MediaScript,
    ScriptOptions,
    check_string_fields,
    convert_failed,
    distribute_json,
    next_script,
    validation_error,
)
from .media_formats import png_image, png_info, sniff_image
from .media_multipart import UploadedFile, form_and_model, media_type
from .recording import REQUEST_ID_KEY
from .state import lazy_state
from .upstream import (
    invalid_type,
    invalid_value,
    missing_parameter,
    not_multipart,
    out_of_range,
    string_too_long,
    upstream_error,
)

if TYPE_CHECKING:
    from .server import FakeWenwen

GENERATIONS = "/v1/images/generations"
EDITS = "/v1/images/edits"
FILES = "/files/{name}"

CODE = "invalid_image_request"
TIMES_SIGN = "size an unexpected error occurred in the parameter, please use 'x' instead of the multiplication sign '×'"
DALL_E_2_SIZE_ERROR = "size must be one of 256x256, 512x512, or 1024x1024 for dall-e-2 or dall-e"
DALL_E_3_SIZE_ERROR = "size must be one of 1024x1024, 1024x1792 or 1792x1024 for dall-e-3"
DALL_E_2_SIZES = ("256x256", "512x512", "1024x1024")
DALL_E_3_SIZES = ("1024x1024", "1792x1024", "1024x1792")
GPT_IMAGE_SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
GPT_IMAGE_QUALITIES = ("low", "medium", "high", "auto")
GENERATION_MODELS = ("dall-e-2", "dall-e-3", "gpt-image-1")
EDIT_MODELS = ("dall-e-2", "gpt-image-1")
RESPONSE_FORMATS = ("url", "b64_json")
PROMPT_LIMITS = {"dall-e-2": 1000, "dall-e-3": 4000, "gpt-image-1": 32000}
DALL_E_2_EDIT_LIMIT = 4 * 1024 * 1024
GPT_IMAGE_EDIT_LIMIT = 25 * 1024 * 1024
GPT_IMAGE_MAX_IMAGES = 16
DALL_E_2_EDIT_IMAGE = "Uploaded image must be a PNG and less than 4 MB."
DALL_E_2_SQUARE = "Uploaded image must be square."
DALL_E_2_ONE_IMAGE = "dall-e-2 edits take exactly one image."
_OUTPUT_TOKENS = {"low": (272, 408), "medium": (1056, 1584), "high": (4160, 6240)}


@dataclass
class _ImagesState:
    scripts: deque[MediaScript] = field(default_factory=deque)
    files: dict[str, bytes] = field(default_factory=dict)


class ImagesMixin:
    """The image scripting/inspection API of ``FakeWenwen``."""

    image_url_expired: bool = False  # GET /files/* answers 403 (expired CDN link)

    def _images(self) -> _ImagesState:
        return lazy_state(self, "_images_state", _ImagesState)

    @property
    def image_files(self) -> dict[str, bytes]:
        """``img-<id>.png`` → the PNG bytes served at ``<base_url>/files/img-<id>.png``."""
        return self._images().files

    def script_image(
        self,
        status: int = 200,
        error_message: str = "",
        *,
        revised_prompt: str | None = None,
        image: bytes | None = None,
        **options: Unpack[ScriptOptions],
    ) -> None:
        """The answer to the next valid generation or edit (FIFO, one queue for both): an error
        when ``status`` is not 200, else the normal answer with ``revised_prompt`` (dall-e-3) and
        ``image`` (bytes served/encoded instead of the generated PNG) when given."""
        self._images().scripts.append(
            MediaScript(status, error_message, revised_prompt=revised_prompt, image=image, **options)
        )


# ---------------------------------------------------------------- validation
def _size_of(size: str) -> tuple[int, int]:
    if size == "auto" or "x" not in size:
        return 1024, 1024
    width, _, height = size.partition("x")
    return int(width), int(height)


def _check_n(request: web.Request, model: str, n: int) -> None:
    if model == "dall-e-3" and n != 1:
        raise upstream_error(request, "You must provide n=1 for this model.", param="n")
    error = out_of_range(request, "n", n, 1, 10, integer=True)
    if error is not None:
        raise error


def _check_prompt(request: web.Request, model: str, prompt: str) -> None:
    if not prompt:
        raise missing_parameter(request, "prompt")
    limit = PROMPT_LIMITS.get(model)
    if limit is not None and len(prompt) > limit:
        raise string_too_long(request, "prompt", limit, len(prompt))


def _check_enum(request: web.Request, param: str, value: str, allowed: tuple[str, ...]) -> None:
    if value and value not in allowed:
        raise invalid_value(request, param, value, allowed)


def _check_upstream_options(request: web.Request, model: str, options: dict[str, str]) -> None:
    """OpenAI's checks of the optional parameters shared by generations and edits."""
    if model == "gpt-image-1":
        _check_enum(request, "size", options.get("size", ""), GPT_IMAGE_SIZES)
        _check_enum(request, "quality", options.get("quality", ""), GPT_IMAGE_QUALITIES)
        _check_enum(request, "background", options.get("background", ""), ("transparent", "opaque", "auto"))
        _check_enum(request, "output_format", options.get("output_format", ""), ("png", "jpeg", "webp"))
        _check_enum(request, "moderation", options.get("moderation", ""), ("low", "auto"))
        return
    _check_enum(request, "response_format", options.get("response_format", ""), RESPONSE_FORMATS)
    if model == "dall-e-3":
        _check_enum(request, "size", options.get("size", ""), DALL_E_3_SIZES)
        _check_enum(request, "quality", options.get("quality", ""), ("standard", "hd"))
        _check_enum(request, "style", options.get("style", ""), ("vivid", "natural"))
    else:
        _check_enum(request, "size", options.get("size", ""), DALL_E_2_SIZES)


def _check_edit_images(request: web.Request, model: str, images: list[UploadedFile], mask: UploadedFile | None) -> None:
    if model == "dall-e-2":
        if len(images) != 1:
            raise upstream_error(request, DALL_E_2_ONE_IMAGE, param="image")
        info = png_info(images[0].data)
        if info is None or len(images[0].data) >= DALL_E_2_EDIT_LIMIT:
            raise upstream_error(request, DALL_E_2_EDIT_IMAGE, param="image")
        if info.width != info.height:
            raise upstream_error(request, DALL_E_2_SQUARE, param="image")
        if mask is None and info.mode not in ("RGBA", "LA", "L"):
            message = f"Invalid input image - format must be in ['RGBA', 'LA', 'L'], got {info.mode}."
            raise upstream_error(request, message, param="image")
        if mask is not None:
            mask_info = png_info(mask.data)
            if mask_info is None or len(mask.data) >= DALL_E_2_EDIT_LIMIT:
                raise upstream_error(request, "Uploaded mask must be a PNG and less than 4 MB.", param="mask")
            if (mask_info.width, mask_info.height) != (info.width, info.height):
                message = "Invalid mask image - the mask must have the same dimensions as the original image."
                raise upstream_error(request, message, param="mask")
        return
    if len(images) > GPT_IMAGE_MAX_IMAGES:
        message = (
            f"Invalid 'image': array too long. Expected an array with maximum length {GPT_IMAGE_MAX_IMAGES}, "
            f"but got an array with length {len(images)} instead."
        )
        raise upstream_error(request, message, param="image", code="array_above_max_length")
    for upload in [*images, *([mask] if mask is not None else [])]:
        kind = sniff_image(upload.data)
        if kind not in ("image/png", "image/jpeg", "image/webp"):
            message = (
                f"Invalid file '{upload.field}': unsupported mimetype ('{kind}'). "
                "Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'."
            )
            raise upstream_error(request, message, param=upload.field, code="unsupported_file")
        if len(upload.data) > GPT_IMAGE_EDIT_LIMIT:
            message = f"Invalid file '{upload.field}': file too large ({len(upload.data)} bytes), the maximum is 25 MB."
            raise upstream_error(request, message, param=upload.field, code="file_too_large")


def _check_model_family(request: web.Request, model: str, allowed: tuple[str, ...]) -> None:
    if model not in allowed:
        raise invalid_value(request, "model", model, allowed)


# ------------------------------------------------------------------ answers
def _new_name() -> str:
    return "img-" + random_id(24) + ".png"


def _usage(prompt: str, quality: str, size: tuple[int, int], n: int, input_images: int) -> dict[str, Any]:
    text_tokens = max(1, math.ceil(len(prompt) / 4))
    image_tokens = 323 * input_images
    square = size[0] == size[1]
    per_image = _OUTPUT_TOKENS.get(quality, _OUTPUT_TOKENS["medium"])[0 if square else 1]
    output = per_image * n
    return {
        "total_tokens": text_tokens + image_tokens + output,
        "input_tokens": text_tokens + image_tokens,
        "output_tokens": output,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_tokens},
    }


async def _answer(
    fake: FakeWenwen,
    request: web.Request,
    model: str,
    prompt: str,
    n: int,
    options: dict[str, str],
    input_images: int = 0,
) -> web.Response:
    """The next scripted answer (after its delay) or, without a scripted error, the images;
    ``options``: the request's ``size``, ``quality`` and ``response_format`` ("" when absent)."""
    script, scripted = await next_script(fake, request, fake._images().scripts, model)
    if scripted is not None:
        return scripted
    size = options["size"] or ("auto" if model == "gpt-image-1" else "1024x1024")
    quality, response_format = options["quality"], options["response_format"] or "url"
    dims = _size_of(size)
    items: list[dict[str, Any]] = []
    for _ in range(n):
        name = _new_name()
        data = script.image if script is not None and script.image is not None else png_image(*dims, seed=name)
        item: dict[str, Any] = {}
        if model == "dall-e-3":
            revised = script.revised_prompt if script is not None and script.revised_prompt is not None else None
            item["revised_prompt"] = revised if revised is not None else f"A detailed, vivid illustration of {prompt}"
        if model == "gpt-image-1" or response_format == "b64_json":
            item["b64_json"] = base64.b64encode(data).decode()
        else:
            fake.image_files[name] = data
            item["url"] = f"{fake.base_url}/files/{name}"
        items.append(item)
    body: dict[str, Any] = {"created": int(time.time())}
    if model == "gpt-image-1":
        resolved_quality = "medium" if quality in ("", "auto") else quality
        body["background"] = "opaque"
        body["data"] = items
        body["output_format"] = "png"
        body["quality"] = resolved_quality
        body["size"] = f"{dims[0]}x{dims[1]}"
        body["usage"] = _usage(prompt, resolved_quality, dims, n, input_images)
    else:
        body["data"] = items
    return json_response(body, gin=False)


def _expired_xml() -> str:
    now = datetime.now(UTC)
    fmt = "%a, %d %b %Y %H:%M:%S GMT"
    start, expiry = (now - timedelta(hours=2)).strftime(fmt), (now - timedelta(hours=1)).strftime(fmt)
    return (
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to '
        "authenticate the request. Make sure the value of Authorization header is formed correctly including the "
        f"signature.\nRequestId:{secrets.token_hex(16)}\nTime:{now.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z</Message>"
        f"<AuthenticationErrorDetail>Signed expiry time [{expiry}] must be after signed start time [{start}]"
        "</AuthenticationErrorDetail></Error>"
    )


def _not_found_xml() -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code><Message>The specified blob does '
        f"not exist.\nRequestId:{secrets.token_hex(16)}</Message></Error>"
    )


# ------------------------------------------------------------------ handlers
def register(fake: FakeWenwen, app: web.Application) -> None:
    from .server import public

    state = fake._images()

    async def generations(request: web.Request) -> web.StreamResponse:
        data, model = distribute_json(fake, request, "dall-e")
        fields = (
            "model",
            "prompt",
            "size",
            "quality",
            "response_format",
            "style",
            "user",
            "background",
            "moderation",
            "output_format",
        )
        body = check_string_fields(request, data, "ImageRequest", fields, CODE)
        n_value = body.get("n")
        if n_value is not None and (
            isinstance(n_value, bool) or not isinstance(n_value, int | float) or n_value < 0 or n_value != int(n_value)
        ):
            raise validation_error(request, integer_unmarshal_error("ImageRequest.n", n_value, "uint"), CODE)
        prompt = body.get("prompt") or ""
        if not prompt:
            raise validation_error(request, "prompt is required", CODE)
        model = model or "dall-e-2"
        size = body.get("size") or ""
        if "×" in size:
            raise validation_error(request, TIMES_SIGN, CODE)
        quality = body.get("quality") or ""
        if model in ("dall-e-2", "dall-e"):
            if size and size not in DALL_E_2_SIZES:
                raise validation_error(request, DALL_E_2_SIZE_ERROR, CODE)
        elif model == "dall-e-3":
            if size and size not in DALL_E_3_SIZES:
                raise validation_error(request, DALL_E_3_SIZE_ERROR, CODE)
            quality = quality or "standard"
        size = size or ("auto" if model == "gpt-image-1" else "1024x1024")
        n = int(n_value or 1)

        # --- the upstream (OpenAI)
        _check_model_family(request, model, GENERATION_MODELS)
        _check_prompt(request, model, prompt)
        _check_n(request, model, n)
        options = {k: str(body.get(k) or "") for k in fields}
        options.update(size=size, quality=quality)
        _check_upstream_options(request, model, options)

        return await _answer(fake, request, model, prompt, n, options)

    async def edits(request: web.Request) -> web.StreamResponse:
        # a form that does not parse: the distributor cannot read the model either
        form, model, _ = form_and_model(request, lambda request: body_and_model(request)[1])
        kind = media_type(request)
        if not model:
            raise abort_openai(request, 400, MODEL_NAME_REQUIRED)
        check_model(fake, request, model)
        if kind == "application/json":
            raise not_multipart(request)  # new-api forwards a JSON edit as it is; OpenAI wants a form
        if form is None:
            raise convert_failed(request, "failed to parse multipart form")

        # --- the adaptor: image, else image[], else image[<anything>
        images = form.files_named("image") or form.files_named("image[]")
        if not images:
            images = [f for f in form.files if f.field.startswith("image[")]
        if not images:
            raise convert_failed(request, "image is required")
        masks = form.files_named("mask")
        mask = masks[0] if masks else None

        # --- the upstream (OpenAI)
        _check_model_family(request, model, EDIT_MODELS)
        prompt = form.value("prompt")
        _check_prompt(request, model, prompt)
        n = 1
        if form.value("n"):
            try:
                n = int(form.value("n"))
            except ValueError:
                raise invalid_type(request, "n", "an integer", form.value("n")) from None
        _check_n(request, model, n)
        options = {k: form.value(k) for k in ("size", "quality", "response_format", "background", "output_format")}
        _check_upstream_options(request, model, options)
        _check_edit_images(request, model, images, mask)

        return await _answer(fake, request, model, prompt, n, options, input_images=len(images))

    async def cdn(request: web.Request) -> web.StreamResponse:
        request.pop(REQUEST_ID_KEY, None)  # a blob store, not the gateway: no X-Oneapi-Request-Id
        name = request.match_info["name"]
        if fake.image_url_expired:
            return web.Response(text=_expired_xml(), status=403, content_type="application/xml", charset="utf-8")
        data = state.files.get(name)
        if data is None:
            return web.Response(text=_not_found_xml(), status=404, content_type="application/xml", charset="utf-8")
        return web.Response(body=data, content_type="image/png")

    public(cdn)
    app.router.add_post(GENERATIONS, generations)
    app.router.add_post(EDITS, edits)
    app.router.add_get(FILES, cdn)
