"""The wenwen fake's audio and image routes (docs/protocols.md, "Gateway: audio", "Gateway: images"), via httpx."""

from __future__ import annotations

import base64
import re
import struct
from typing import Any

import httpx
import pytest

from tests.fakes.wenwen import FakeWenwen
from tests.fakes.wenwen.media_formats import png_image, png_info

RID = re.compile(r"^\d{17}[A-Za-z0-9]{8}$")
OPENAI_FORMATS = "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']"
VOICE = b"OggS\x00\x02" + bytes(range(256)) * 40  # what a Telegram voice note looks like to the fake
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture
def client_timeout() -> float:
    """Uploads of up to 25 MiB go through the client (conftest.py's ``client``)."""
    return 30.0


def error_of(resp: httpx.Response) -> dict[str, Any]:
    """The ``error`` object, after checking the request id in the message and the header match."""
    error = resp.json()["error"]
    rid = resp.headers["X-Oneapi-Request-Id"]
    assert RID.match(rid), rid
    assert error["message"].endswith(f" (request id: {rid})"), error["message"]
    error["text"] = error["message"][: -len(f" (request id: {rid})")]
    return error


async def transcribe(
    client: httpx.AsyncClient,
    filename: str = "voice.ogg",
    data: bytes = VOICE,
    *,
    path: str = "/v1/audio/transcriptions",
    content_type: str = "audio/ogg",
    **fields: str,
) -> httpx.Response:
    form = {"model": "whisper-1", **fields}
    return await client.post(path, files={"file": (filename, data, content_type)}, data=form)


# ------------------------------------------------------------- transcriptions
async def test_voice_ogg_is_transcribed_and_the_upload_recorded(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    resp = await transcribe(client, language="ru", prompt="Привет")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["text"] == f"transcript of {len(VOICE)} bytes"
    assert body["usage"]["type"] == "duration"

    recorded = fake.requests_to("/v1/audio/transcriptions")[0]
    assert recorded.extra["files"]["file"] == ("voice.ogg", "audio/ogg", VOICE)
    assert recorded.extra["form"] == {"model": "whisper-1", "language": "ru", "prompt": "Привет"}
    assert recorded.extra["file_list"] == [("file", "voice.ogg", "audio/ogg", VOICE)]
    assert recorded.json is None and recorded.headers["content-type"].startswith("multipart/form-data; boundary=")


async def test_opus_extension_is_refused_with_openais_text(client: httpx.AsyncClient) -> None:
    resp = await transcribe(client, "voice.opus")
    assert resp.status_code == 400
    error = error_of(resp)
    assert error["text"] == f"Invalid file format. Supported formats: {OPENAI_FORMATS}"
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "" and error["code"] is None


@pytest.mark.parametrize("filename", ["voice.oga", "VOICE.OGG", "dir/voice.webm", "a.b.mp3", "note.m4a"])
async def test_accepted_extensions(client: httpx.AsyncClient, filename: str) -> None:
    resp = await transcribe(client, filename, content_type="application/octet-stream")
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("filename", ["voice", "voice.opus", "voice.ogg.txt", "voice.aac", "dir.ogg/voice"])
async def test_refused_extensions(client: httpx.AsyncClient, filename: str) -> None:
    resp = await transcribe(client, filename)
    assert resp.status_code == 400
    assert error_of(resp)["text"].startswith("Invalid file format. Supported formats: ")


async def test_missing_model_is_400_invalid_audio_request(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/audio/transcriptions", files={"file": ("voice.ogg", VOICE, "audio/ogg")})
    assert resp.status_code == 400
    error = error_of(resp)
    assert error["text"] == "model is required"
    assert error["type"] == "new_api_error" and error["code"] == "invalid_audio_request"
    assert fake.requests_to("/v1/audio/transcriptions")[0].extra["form"] == {}


async def test_unknown_model_is_503_no_channel(client: httpx.AsyncClient) -> None:
    resp = await transcribe(client, model="whisper-9")
    assert resp.status_code == 503
    error = error_of(resp)
    assert error["text"] == "当前分组 default 下对于模型 whisper-9 无可用渠道"
    assert error["code"] == "model_not_found"


async def test_missing_file_and_json_body_fail_in_the_adaptor(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/audio/transcriptions", files={"model": (None, "whisper-1")})
    assert resp.status_code == 500
    error = error_of(resp)
    assert (error["text"], error["code"]) == ("file is required", "convert_request_failed")

    resp = await client.post("/v1/audio/transcriptions", json={"model": "whisper-1", "file": "voice.ogg"})
    assert resp.status_code == 500
    assert error_of(resp)["text"] == "file is required"

    # a file part without a filename is a form value for Go's multipart reader
    resp = await client.post(
        "/v1/audio/transcriptions",
        content=(
            b"--b\r\nContent-Disposition: form-data; name=model\r\n\r\nwhisper-1\r\n"
            b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nOggS\r\n--b--\r\n'
        ),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert resp.status_code == 500 and error_of(resp)["text"] == "file is required"


async def test_text_srt_vtt_and_verbose_json(client: httpx.AsyncClient) -> None:
    resp = await transcribe(client, response_format="text")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/plain; charset=utf-8"
    assert resp.text == f"transcript of {len(VOICE)} bytes\n"

    srt = await transcribe(client, response_format="srt")
    assert srt.text.startswith("1\n00:00:00,000 --> 00:00:") and srt.text.endswith(" bytes\n\n")
    vtt = await transcribe(client, response_format="vtt")
    assert vtt.text.startswith("WEBVTT\n\n00:00:00.000 --> ")

    verbose = (await transcribe(client, response_format="verbose_json", language="ru")).json()
    assert verbose["task"] == "transcribe" and verbose["language"] == "russian"
    assert verbose["text"] == f"transcript of {len(VOICE)} bytes"
    assert verbose["duration"] > 0
    assert set(verbose["segments"][0]) == {
        "id",
        "seek",
        "start",
        "end",
        "text",
        "tokens",
        "temperature",
        "avg_logprob",
        "compression_ratio",
        "no_speech_prob",
    }


async def test_response_format_and_temperature_are_checked(client: httpx.AsyncClient) -> None:
    resp = await transcribe(client, response_format="xml")
    assert resp.status_code == 400
    error = error_of(resp)
    assert error["text"] == (
        "Invalid value: 'xml'. Supported values are: 'json', 'text', 'srt', 'verbose_json', and 'vtt'."
    )
    assert (error["param"], error["code"]) == ("response_format", "invalid_value")

    resp = await transcribe(client, model="gpt-4o-transcribe", response_format="srt")
    assert resp.status_code == 400 and error_of(resp)["code"] == "unsupported_value"
    tokens = await transcribe(client, model="gpt-4o-mini-transcribe")
    assert tokens.status_code == 200 and tokens.json()["usage"]["type"] == "tokens"

    resp = await transcribe(client, temperature="1.5")
    assert resp.status_code == 400
    assert error_of(resp)["text"] == (
        "Invalid 'temperature': decimal above maximum value. Expected a value <= 1, but got 1.5 instead."
    )


async def test_translations_and_scripted_transcripts(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script_transcript("Привет, мир")
    fake.script_transcript(status=429)
    fake.script_transcript(status=500, error_message="upstream exploded")
    first = await transcribe(client)
    assert first.json()["text"] == "Привет, мир"
    busy = await transcribe(client)
    assert busy.status_code == 429
    assert error_of(busy)["text"] == "当前分组上游负载已饱和，请稍后再试"
    broken = await transcribe(client)
    assert broken.status_code == 500 and error_of(broken)["text"] == "upstream exploded"

    translated = await transcribe(client, path="/v1/audio/translations", response_format="verbose_json")
    assert translated.status_code == 200
    assert translated.json()["task"] == "translate" and translated.json()["language"] == "english"


async def test_empty_and_oversized_uploads(client: httpx.AsyncClient) -> None:
    empty = await transcribe(client, data=b"")
    assert empty.status_code == 400 and error_of(empty)["code"] == "audio_too_short"

    big = await transcribe(client, data=b"\x00" * (25 * 1024 * 1024 + 1))
    assert big.status_code == 413
    error = error_of(big)
    assert error["type"] == "server_error"
    assert error["text"].startswith("Maximum content size limit (26214400) exceeded (")


async def test_body_over_32_mb_is_the_gateways_413(client: httpx.AsyncClient) -> None:
    resp = await transcribe(client, data=b"\x00" * ((32 << 20) + 1))
    assert resp.status_code == 413
    assert error_of(resp)["code"] == "read_request_body_failed"


async def test_a_client_hanging_up_during_a_scripted_delay_is_counted(
    fake: FakeWenwen, client: httpx.AsyncClient
) -> None:
    fake.script_transcript("late", delay=5.0)
    with pytest.raises(httpx.ReadTimeout):
        await client.post(
            "/v1/audio/transcriptions",
            files={"file": ("voice.ogg", VOICE, "audio/ogg")},
            data={"model": "whisper-1"},
            timeout=0.2,
        )
    await fake.wait_for(lambda: fake.disconnects == 1)


# ---------------------------------------------------------------------- speech
async def test_speech_opus_is_a_real_ogg_opus_stream(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    body = {"model": "tts-1", "input": "Hello!", "voice": "alloy", "response_format": "opus", "speed": 1.0}
    resp = await client.post("/v1/audio/speech", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "audio/ogg"
    audio = resp.content
    assert audio.startswith(b"OggS") and audio[28:36] == b"OpusHead"
    assert b"OpusTags" in audio
    pages = audio.count(b"OggS")
    assert pages >= 3 and audio[5] == 0x02  # first page: beginning of stream
    last = audio.rindex(b"OggS")
    assert audio[last + 5] & 0x04  # last page: end of stream
    assert struct.unpack("<q", audio[last + 6 : last + 14])[0] >= 48000
    assert fake.requests_to("/v1/audio/speech")[0].json == body


async def test_speech_mp3_is_the_default(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/audio/speech", json={"model": "tts-1-hd", "input": "Hi", "voice": "nova"})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "audio/mpeg"
    assert resp.content.startswith(b"ID3") and b"\xff\xfb" in resp.content[:64]


async def test_speech_input_over_4096_chars_is_refused(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/audio/speech", json={"model": "tts-1", "input": "a" * 4097, "voice": "alloy"})
    assert resp.status_code == 400
    error = error_of(resp)
    assert error["text"] == (
        "Invalid 'input': string too long. Expected a string with maximum length 4096, "
        "but got a string with length 4097 instead."
    )
    assert (error["type"], error["param"], error["code"]) == (
        "invalid_request_error",
        "input",
        "string_above_max_length",
    )
    ok = await client.post("/v1/audio/speech", json={"model": "tts-1", "input": "a" * 4096, "voice": "alloy"})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"voice": "bob"}, "voice"),
        ({"voice": None}, "voice"),
        ({"response_format": "ogg"}, "response_format"),
        ({"speed": 4.5}, "speed"),
        ({"speed": 0.1}, "speed"),
        ({"input": ""}, "input"),
    ],
)
async def test_speech_parameters_are_checked(client: httpx.AsyncClient, extra: dict[str, Any], param: str) -> None:
    body = {"model": "tts-1", "input": "Hi", "voice": "alloy", **extra}
    resp = await client.post("/v1/audio/speech", json={k: v for k, v in body.items() if v is not None})
    assert resp.status_code == 400
    assert error_of(resp)["param"] == param


async def test_speech_missing_model_and_scripts(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/audio/speech", json={"input": "Hi", "voice": "alloy"})
    assert resp.status_code == 400
    assert error_of(resp)["code"] == "invalid_audio_request"

    fake.script_speech(status=403, error_message="user quota is not enough")
    fake.script_speech(audio=b"custom", content_type="audio/x-test")
    body = {"model": "tts-1", "input": "Hi", "voice": "alloy"}
    refused = await client.post("/v1/audio/speech", json=body)
    assert refused.status_code == 403 and error_of(refused)["text"] == "user quota is not enough"
    custom = await client.post("/v1/audio/speech", json=body)
    assert (custom.content, custom.headers["content-type"]) == (b"custom", "audio/x-test")


# ---------------------------------------------------------------------- images
async def test_dall_e_3_url_downloads_a_png(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    body = {"model": "dall-e-3", "prompt": "a red fox", "size": "1792x1024", "quality": "hd", "style": "natural"}
    resp = await client.post("/v1/images/generations", json=body)
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert isinstance(answer["created"], int)
    (item,) = answer["data"]
    assert set(item) == {"url", "revised_prompt"} and "a red fox" in item["revised_prompt"]
    assert item["url"].startswith(f"{fake.base_url}/files/img-") and item["url"].endswith(".png")

    async with httpx.AsyncClient() as anonymous:  # a CDN link: no key needed
        image = await anonymous.get(item["url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    info = png_info(image.content)
    assert info is not None and (info.width, info.height) == (1792, 1024)
    assert "X-Oneapi-Request-Id" not in image.headers
    assert fake.image_files[item["url"].rsplit("/", 1)[1]] == image.content


async def test_dall_e_3_b64_json_and_script(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script_image(revised_prompt="A fox, revised")
    body = {"model": "dall-e-3", "prompt": "fox", "response_format": "b64_json"}
    (item,) = (await client.post("/v1/images/generations", json=body)).json()["data"]
    assert item["revised_prompt"] == "A fox, revised"
    assert base64.b64decode(item["b64_json"]).startswith(b"\x89PNG\r\n\x1a\n")
    assert fake.image_files == {}


async def test_gpt_image_1_always_answers_b64_png_with_usage(client: httpx.AsyncClient) -> None:
    body = {"model": "gpt-image-1", "prompt": "a cat", "size": "1536x1024", "response_format": "url", "n": 2}
    resp = await client.post("/v1/images/generations", json=body)
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert len(answer["data"]) == 2 and all(set(d) == {"b64_json"} for d in answer["data"])
    png = base64.b64decode(answer["data"][0]["b64_json"])
    info = png_info(png)
    assert info is not None and (info.width, info.height) == (1536, 1024)
    usage = answer["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert set(usage["input_tokens_details"]) == {"text_tokens", "image_tokens"}


async def test_expired_image_url_is_403(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/images/generations", json={"model": "dall-e-3", "prompt": "fox"})
    url = resp.json()["data"][0]["url"]
    fake.image_url_expired = True
    async with httpx.AsyncClient() as anonymous:
        expired = await anonymous.get(url)
        missing = await anonymous.get(f"{fake.base_url}/files/img-nope.png")
    assert expired.status_code == 403
    assert "<Code>AuthenticationFailed</Code>" in expired.text
    fake.image_url_expired = False
    async with httpx.AsyncClient() as anonymous:
        missing = await anonymous.get(f"{fake.base_url}/files/img-nope.png")
    assert missing.status_code == 404 and "BlobNotFound" in missing.text


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        (
            {"model": "dall-e-3", "prompt": "fox", "size": "1024×1024"},
            400,
            "size an unexpected error occurred in the parameter, please use 'x' instead of the multiplication sign '×'",
        ),
        ({"model": "dall-e-3"}, 400, "prompt is required"),
        (
            {"model": "dall-e-3", "prompt": "fox", "size": "512x512"},
            400,
            "size must be one of 1024x1024, 1024x1792 or 1792x1024 for dall-e-3",
        ),
        ({"model": "dall-e-3", "prompt": "fox", "n": 2}, 400, "You must provide n=1 for this model."),
        (
            {"model": "dall-e-3", "prompt": "fox", "quality": "ultra"},
            400,
            "Invalid value: 'ultra'. Supported values are: 'standard' and 'hd'.",
        ),
        (
            {"model": "gpt-image-1", "prompt": "fox", "size": "1792x1024"},
            400,
            "Invalid value: '1792x1024'. Supported values are: '1024x1024', '1536x1024', '1024x1536', and 'auto'.",
        ),
        ({"prompt": "fox"}, 503, "当前分组 default 下对于模型 dall-e 无可用渠道"),
        ({"model": "dall-e-9", "prompt": "fox"}, 503, "当前分组 default 下对于模型 dall-e-9 无可用渠道"),
    ],
)
async def test_generation_checks(client: httpx.AsyncClient, body: dict[str, Any], status: int, text: str) -> None:
    resp = await client.post("/v1/images/generations", json=body)
    assert resp.status_code == status
    error = error_of(resp)
    assert error["text"] == text
    if status == 400 and not text.startswith(("You must", "Invalid value")):
        assert error["code"] == "invalid_image_request"


async def test_generation_scripted_error(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    fake.script_image(status=400, error_message="Your request was rejected", error_type="image_generation_user_error")
    resp = await client.post("/v1/images/generations", json={"model": "dall-e-3", "prompt": "fox"})
    assert resp.status_code == 400
    error = error_of(resp)
    assert (error["text"], error["type"]) == ("Your request was rejected", "image_generation_user_error")


# ----------------------------------------------------------------------- edits
async def test_edit_jpeg_with_gpt_image_1_is_accepted(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/v1/images/edits",
        files={"image": ("photo.jpg", JPEG, "image/jpeg")},
        data={"model": "gpt-image-1", "prompt": "make it blue", "quality": "low"},
    )
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert base64.b64decode(answer["data"][0]["b64_json"]).startswith(b"\x89PNG")
    assert answer["usage"]["input_tokens_details"]["image_tokens"] > 0
    recorded = fake.requests_to("/v1/images/edits")[0]
    assert recorded.extra["files"]["image"] == ("photo.jpg", "image/jpeg", JPEG)
    assert recorded.extra["form"] == {"model": "gpt-image-1", "prompt": "make it blue", "quality": "low"}


async def test_edit_several_images_for_gpt_image_1(fake: FakeWenwen, client: httpx.AsyncClient) -> None:
    png = png_image(64, 32, seed="x")
    resp = await client.post(
        "/v1/images/edits",
        files=[("image[]", ("a.png", png, "image/png")), ("image[]", ("b.jpg", JPEG, "image/jpeg"))],
        data={"model": "gpt-image-1", "prompt": "combine"},
    )
    assert resp.status_code == 200, resp.text
    assert [f[:2] for f in fake.requests_to("/v1/images/edits")[0].extra["file_list"]] == [
        ("image[]", "a.png"),
        ("image[]", "b.jpg"),
    ]


async def test_edit_gif_for_gpt_image_1_is_refused(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/v1/images/edits",
        files={"image": ("anim.png", b"GIF89a" + b"\x00" * 20, "image/png")},
        data={"model": "gpt-image-1", "prompt": "x"},
    )
    assert resp.status_code == 400
    assert error_of(resp)["text"] == (
        "Invalid file 'image': unsupported mimetype ('image/gif'). "
        "Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'."
    )


async def test_edit_jpeg_with_dall_e_2_is_refused(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/v1/images/edits",
        files={"image": ("photo.jpg", JPEG, "image/jpeg")},
        data={"model": "dall-e-2", "prompt": "make it blue"},
    )
    assert resp.status_code == 400
    error = error_of(resp)
    assert error["text"] == "Uploaded image must be a PNG and less than 4 MB."
    assert error["type"] == "invalid_request_error"


async def test_edit_dall_e_2_needs_a_square_rgba_png(client: httpx.AsyncClient) -> None:
    async def edit(png: bytes, **files: tuple[str, bytes, str]) -> httpx.Response:
        return await client.post(
            "/v1/images/edits",
            files={"image": ("in.png", png, "image/png"), **files},
            data={"model": "dall-e-2", "prompt": "p", "size": "256x256", "response_format": "b64_json"},
        )

    wide = await edit(png_image(64, 32, alpha=True))
    assert wide.status_code == 400 and error_of(wide)["text"] == "Uploaded image must be square."
    rgb = await edit(png_image(64, 64))
    assert rgb.status_code == 400
    assert error_of(rgb)["text"] == "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB."
    masked = await edit(png_image(64, 64), mask=("mask.png", png_image(64, 64, alpha=True), "image/png"))
    assert masked.status_code == 200, masked.text
    ok = await edit(png_image(64, 64, alpha=True))
    assert ok.status_code == 200
    (item,) = ok.json()["data"]
    info = png_info(base64.b64decode(item["b64_json"]))
    assert info is not None and (info.width, info.height) == (256, 256)


async def test_edit_without_prompt_image_or_model(client: httpx.AsyncClient) -> None:
    png = png_image(64, 64, alpha=True)
    no_prompt = await client.post(
        "/v1/images/edits", files={"image": ("a.png", png, "image/png")}, data={"model": "gpt-image-1"}
    )
    assert no_prompt.status_code == 400
    assert error_of(no_prompt)["text"] == "Missing required parameter: 'prompt'."

    no_image = await client.post("/v1/images/edits", files={"model": (None, "gpt-image-1"), "prompt": (None, "p")})
    assert no_image.status_code == 500
    assert (error_of(no_image)["text"], error_of(no_image)["code"]) == ("image is required", "convert_request_failed")

    no_model = await client.post("/v1/images/edits", files={"image": ("a.png", png, "image/png")}, data={"prompt": "p"})
    assert no_model.status_code == 400
    assert error_of(no_model)["text"] == "未指定模型名称，模型名称不能为空"


async def test_variations_stay_501(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/images/variations", files={"image": ("a.png", b"x", "image/png")})
    assert resp.status_code == 501 and resp.json()["error"]["code"] == "api_not_implemented"


# ------------------------------------------------------------------------ auth
@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        (
            "/v1/audio/transcriptions",
            {"files": {"file": ("voice.ogg", VOICE, "audio/ogg")}, "data": {"model": "whisper-1"}},
        ),
        ("/v1/audio/speech", {"json": {"model": "tts-1", "input": "Hi", "voice": "alloy"}}),
        ("/v1/images/generations", {"json": {"model": "dall-e-3", "prompt": "fox"}}),
        ("/v1/images/edits", {"files": {"image": ("a.jpg", JPEG, "image/jpeg")}, "data": {"model": "gpt-image-1"}}),
    ],
)
async def test_media_routes_need_the_key(fake: FakeWenwen, path: str, kwargs: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as anonymous:
        missing = await anonymous.post(path, **kwargs)
        wrong = await anonymous.post(path, headers={"Authorization": "Bearer sk-nope"}, **kwargs)
    assert missing.status_code == 401 and error_of(missing)["text"] == "未提供令牌"
    assert wrong.status_code == 401 and error_of(wrong)["text"] == "无效的令牌"
    assert fake.image_files == {}
