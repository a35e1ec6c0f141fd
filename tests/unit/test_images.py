"""bot/core/images.py: images checked and made fit for the model. Every image is generated here with Pillow."""

from __future__ import annotations

import io
import random
import struct
import zlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, ImageFile, JpegImagePlugin

from bot.core.images import (
    MAX_BYTES,
    CheckedImage,
    fit_for_model,
    fit_for_model_async,
    inspect_image,
    inspect_image_async,
)

ORIENTATION, GPS_IFD, GPS_LATITUDE = 0x0112, 0x8825, 2


def encode(im: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def picture(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A smooth picture (compresses well, so it stays under MAX_BYTES even when big)."""
    down = Image.linear_gradient("L")
    across = down.rotate(90)
    rgb = Image.merge("RGB", (down, across, across.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    return rgb.resize(size).convert(mode)


def noise(size: tuple[int, int], mode: str = "RGB", seed: int = 1) -> Image.Image:
    """Incompressible pixels: a PNG of it is about width * height * bands bytes."""
    bands = len(mode)
    return Image.frombytes(mode, size, random.Random(seed).randbytes(size[0] * size[1] * bands))


def opened(result: CheckedImage | None) -> Image.Image:
    assert result is not None
    im = Image.open(io.BytesIO(result.data))
    im.load()
    assert im.size == (result.width, result.height)
    assert Image.MIME[im.format or ""] == result.mime
    return im


def rgb_at(im: Image.Image, xy: tuple[int, int]) -> tuple[int, int, int]:
    pixel = im.convert("RGB").getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def grey_png(width: int, height: int, idat: bytes) -> bytes:
    """A PNG written by hand: 8-bit grey, any size, any IDAT (valid CRCs throughout)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def noise_png() -> bytes:
    data = encode(noise((2000, 2000)), "PNG")
    assert len(data) > MAX_BYTES  # the point of the fixture: within 2048 px, over 4 MB
    return data


@pytest.fixture(scope="module")
def small_jpeg() -> bytes:
    return encode(picture((64, 48)), "JPEG", quality=90)


# ------------------------------------------------------------------------------------- sent as they are


@pytest.mark.parametrize(
    ("fmt", "mime", "options"),
    [
        ("JPEG", "image/jpeg", {"quality": 90}),
        ("PNG", "image/png", {}),
        ("WEBP", "image/webp", {"quality": 80}),
        ("GIF", "image/gif", {}),
        ("MPO", "image/jpeg", {"save_all": True, "append_images": [picture((320, 200))]}),  # phone-camera JPEG
    ],
)
def test_small_images_of_sent_formats_are_byte_exact(fmt: str, mime: str, options: dict[str, Any]) -> None:
    data = encode(picture((320, 200)), fmt, **options)
    for result in (fit_for_model(data), inspect_image(data)):
        assert result == CheckedImage(data, mime, 320, 200)
        assert result.data is data  # not even copied


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animation_within_limits_stays_byte_exact(fmt: str) -> None:
    frames = [picture((200, 100)).rotate(angle) for angle in (0, 90, 180)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
    result = fit_for_model(data)
    assert result is not None and result.data is data
    assert getattr(opened(result), "n_frames", 1) == 3


def test_animation_over_the_limits_becomes_its_first_frame() -> None:
    frames = [picture((300, 100)), noise((300, 100))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    result = fit_for_model(data, max_side=150)
    im = opened(result)
    assert (im.format, im.size, getattr(im, "n_frames", 1)) == ("JPEG", (150, 50), 1)


# ------------------------------------------------------------------------------------------- re-encoded


def test_too_wide_png_is_scaled_to_2048_keeping_the_aspect_ratio() -> None:
    data = encode(picture((3000, 1000)), "PNG")
    assert len(data) < MAX_BYTES  # only the size is over the limit
    im = opened(fit_for_model(data))
    assert im.format == "JPEG"  # no transparency: the compact format
    assert im.size == (2048, 683)


def test_big_file_within_2048_px_is_brought_under_4_mb(noise_png: bytes) -> None:
    result = fit_for_model(noise_png)
    im = opened(result)
    assert result is not None and len(result.data) <= MAX_BYTES
    assert max(im.size) <= 2048


def test_unreachable_byte_limit_gives_none_instead_of_looping(noise_png: bytes) -> None:
    assert fit_for_model(noise_png, max_bytes=100) is None


def test_transparent_png_stays_png_with_its_transparency() -> None:
    rgba = picture((3000, 1000), "RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize((3000, 1000)))  # alpha from 0 (top) to 255 (bottom)
    im = opened(fit_for_model(encode(rgba, "PNG")))
    assert (im.format, im.mode, im.size) == ("PNG", "RGBA", (2048, 683))
    assert im.getchannel("A").getextrema() == (0, 255)


def test_transparent_png_too_big_as_png_is_flattened_onto_white_jpeg() -> None:
    rgba = noise((2000, 2000), "RGBA")
    rgba.putalpha(255)
    rgba.paste((0, 0, 0, 0), (0, 0, 1000, 2000))  # left half fully transparent (black underneath)
    data = encode(rgba, "PNG")
    assert len(data) > MAX_BYTES
    im = opened(fit_for_model(data))
    assert (im.format, im.mode) == ("JPEG", "RGB")
    assert min(rgb_at(im, (100, 100))) >= 250


def test_opaque_alpha_channel_is_dropped_for_jpeg() -> None:
    data = encode(picture((3000, 1000), "RGBA"), "PNG")  # RGBA, alpha 255 everywhere
    assert opened(fit_for_model(data)).format == "JPEG"


def test_exif_orientation_is_applied_and_exif_stripped_on_reencode() -> None:
    stored = picture((3000, 1000))
    stored.paste((255, 0, 0), (0, 0, 300, 300))  # red block at the stored top-left
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # "rotate 90° clockwise to display"
    exif.get_ifd(GPS_IFD)[GPS_LATITUDE] = (52.0, 31.0, 0.0)
    data = encode(stored, "JPEG", quality=90, exif=exif.tobytes(), comment=b"private note")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the input does carry a location
    im = opened(fit_for_model(data))
    assert im.size == (683, 2048)  # upright: width and height swapped
    red, green, _blue = rgb_at(im, (im.width - 20, 20))
    assert red > 200 and green < 60  # the stored top-left is now the top-right
    assert dict(im.getexif()) == {}  # no orientation left to apply twice, no GPS
    assert "comment" not in im.info


def test_broken_exif_keeps_the_photo() -> None:
    data = encode(picture((3000, 1000)), "JPEG", exif=b"Exif\x00\x00MM\x00*garbage")
    assert opened(fit_for_model(data)).size == (2048, 683)


def test_icc_profile_is_kept_for_rgb() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(picture((3000, 1000)), "JPEG", icc_profile=icc)
    assert opened(fit_for_model(data)).info.get("icc_profile") == icc


def test_cmyk_jpeg_is_reencoded_as_rgb() -> None:
    data = encode(picture((320, 200), "CMYK"), "JPEG")
    im = opened(fit_for_model(data))
    assert (im.format, im.mode) == ("JPEG", "RGB")
    assert inspect_image(data) is not None  # it is a JPEG all the same


@pytest.fixture
def drafts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int] | None]:
    """The sizes asked of JpegImageFile.draft (libjpeg's scaled decoding), in order."""
    asked: list[tuple[int, int] | None] = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> Any:
        asked.append(size)
        return original(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    return asked


def test_large_jpeg_is_decoded_at_reduced_scale(drafts: list[tuple[int, int] | None]) -> None:
    im = opened(fit_for_model(encode(picture((4000, 3000)), "JPEG")))
    assert drafts[0] == (2000, 1500)  # decoded at 1/2 scale: a quarter of the pixels (later calls are no-ops)
    assert im.size == (2000, 1500)


def test_jpeg_is_verified_at_one_eighth_scale(drafts: list[tuple[int, int] | None]) -> None:
    data = encode(picture((4000, 3000)), "JPEG")
    assert inspect_image(data) == CheckedImage(data, "image/jpeg", 4000, 3000)  # the real size, not the draft's
    assert drafts == [(500, 375)]


@pytest.mark.parametrize(
    ("fmt", "mode", "expected"),
    [("BMP", "RGB", "JPEG"), ("TIFF", "RGB", "JPEG"), ("TIFF", "RGBA", "PNG")],
)
def test_formats_we_do_not_send_are_converted(fmt: str, mode: str, expected: str) -> None:
    im = picture((320, 200), mode)
    if mode == "RGBA":
        im.putalpha(Image.linear_gradient("L").resize((320, 200)))
    data = encode(im, fmt)
    assert inspect_image(data) is None  # readable, but not as a format we send
    out = opened(fit_for_model(data))
    assert (out.format, out.size) == (expected, (320, 200))


# -------------------------------------------------------------------------------------------- rejected


def text_named_jpg() -> bytes:
    return b"This is not a picture, just a file called photo.jpg\n" * 20


def truncated_jpeg() -> bytes:
    data = encode(noise((400, 300)), "JPEG")
    return data[: len(data) // 2]


def heic_like() -> bytes:
    # What an iPhone sends: an ISO-BMFF "ftyp" box with HEIF brands. No HEIF plugin is installed.
    return b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + random.Random(2).randbytes(4000)


def avif_branded_heic() -> bytes:
    # Brand "mif1" first: Pillow's AVIF plugin accepts it, then libavif has to refuse the HEVC payload.
    return b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic" + random.Random(3).randbytes(4000)


@pytest.mark.parametrize(
    "make",
    [
        lambda: b"",
        lambda: random.Random(4).randbytes(10_000),
        truncated_jpeg,
        text_named_jpg,
        heic_like,
        avif_branded_heic,
        lambda: b"\x89PNG\r\n\x1a\n",  # a signature and nothing else
        lambda: grey_png(64, 64, zlib.compress(b"\x00" * 100)),  # IDAT shorter than the header promises
        lambda: encode(picture((64, 64)), "PCX"),  # Pillow reads it, but it is not on our allowlist
    ],
    ids=["empty", "random", "truncated-jpeg", "text", "heic", "heic-mif1", "png-signature", "short-idat", "pcx"],
)
def test_not_an_image_is_none(make: Any) -> None:
    data = make()
    assert inspect_image(data) is None
    assert fit_for_model(data) is None


def test_png_header_claiming_100000x100000_is_none() -> None:
    data = grey_png(100_000, 100_000, zlib.compress(b"\x00" * 100_001))
    assert inspect_image(data) is None
    assert fit_for_model(data) is None


def test_tiny_file_with_64_megapixels_is_none_without_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    side = 8000  # 64 MP: over our 50 MP, under Pillow's own global limit (~89 MP warning, ~179 MP error)
    packer = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte + pixels
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    data = grey_png(side, side, idat)
    assert len(data) < 200_000

    loads: list[object] = []
    original = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> Any:
        loads.append(self)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    assert inspect_image(data) is None
    assert fit_for_model(data) is None
    assert loads == []  # rejected from the header: the 64 MB bitmap was never allocated


def test_pixel_limit_is_per_call_and_leaves_pillow_global_alone() -> None:
    global_limit = Image.MAX_IMAGE_PIXELS
    data = encode(picture((3000, 1000)), "PNG")
    assert fit_for_model(data, max_pixels=2_999_999) is None
    assert inspect_image(data, max_pixels=2_999_999) is None
    assert fit_for_model(data, max_pixels=3_000_000) is not None
    assert inspect_image(data) is not None
    assert Image.MAX_IMAGE_PIXELS == global_limit


# ------------------------------------------------------------------------------------------------ fuzz


def check_inspected(result: CheckedImage | None) -> None:
    if result is not None:
        assert result.mime in {"image/jpeg", "image/png", "image/webp", "image/gif"}
        assert result.width > 0 and result.height > 0


def check_fitted(result: CheckedImage | None) -> None:
    if result is not None:
        check_inspected(result)
        assert max(result.width, result.height) <= 2048 and len(result.data) <= MAX_BYTES
        assert inspect_image(result.data) is not None  # what we send decodes


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_fuzz_random_bytes_never_raise(data: bytes) -> None:
    check_inspected(inspect_image(data))
    check_fitted(fit_for_model(data))


SEED_JPEG = encode(picture((48, 32)), "JPEG", quality=80, exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00")
SEED_PNG = encode(picture((48, 32), "RGBA"), "PNG")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from([SEED_JPEG, SEED_PNG]),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    cut=st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_fuzz_mutated_images_never_raise(seed: bytes, edits: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(seed)
    for position, value in edits:
        data[position % len(data)] = value
    mutated = bytes(data[:cut] if cut is not None else data)
    check_inspected(inspect_image(mutated))
    check_fitted(fit_for_model(mutated))


# ----------------------------------------------------------------------------------------------- async


async def test_async_wrappers_give_the_same_results(small_jpeg: bytes) -> None:
    assert await inspect_image_async(small_jpeg) == inspect_image(small_jpeg)
    assert await fit_for_model_async(small_jpeg, max_side=32) == fit_for_model(small_jpeg, max_side=32)
    assert await fit_for_model_async(b"nope") is None
