"""Images checked and made fit for a vision model, with Pillow. Pure: no Telegram, HTTP or storage.

Everything here is CPU-bound and blocks: from async code use the ``*_async`` wrappers (``asyncio.to_thread``),
and await an album's images one after another, so that only one decoded bitmap is alive at a time.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from PIL import Image, ImageFile, ImageOps

log = logging.getLogger(__name__)

MAX_SIDE = 2048
MAX_BYTES = 4 * 1024 * 1024
MAX_PIXELS = 50_000_000  # 50 MP: bigger than any phone photo; decoded, it is still 200 MB (Pillow keeps 4 bytes/px)
# Formats we send on as they are, by Pillow's name. MPO is what Pillow calls a JPEG with extra
# (multi-picture) frames after the first, as many phone cameras write: it is a valid JPEG file.
SENT_MIME = {"JPEG": "image/jpeg", "MPO": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
SENT_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")  # for Image.open: its JPEG plugin opens MPO (naming MPO is a KeyError)
# Formats we open at all. An allowlist, not "whatever Pillow can read": EPS would run Ghostscript on user
# input, and the rarer plugins are the least hardened against hostile files.
READ_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "AVIF")
JPEG_QUALITIES = (85, 75, 65)  # tried in turn before the image is made smaller
SHRINK = 0.75  # each size step when even the lowest quality is too many bytes
MIN_SIDE = 64  # give up below this: max_bytes is then unreachable for any sensible image
DRAFT_KEEP = 0.9  # a JPEG is decoded at 1/2..1/8 scale only if that keeps >= 90% of the allowed long side


def sniff_image_mime(data: bytes) -> str:
    """The MIME type its first bytes name: PNG, WebP or GIF, else JPEG (what Telegram makes of every photo)."""
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"GIF8"):
        return "image/gif"
    return "image/jpeg"


@dataclass(frozen=True, slots=True)
class CheckedImage:
    data: bytes
    mime: str  # image/jpeg | image/png | image/webp | image/gif
    width: int
    height: int


class _Rejected(Exception):
    """Raised internally for images we refuse (too many pixels, empty); always turned into None."""


def inspect_image(data: bytes, *, max_pixels: int = MAX_PIXELS) -> CheckedImage | None:
    """The image's real format and size if it decodes as JPEG/PNG/WEBP/GIF (first frame); else None.

    Never raises. The data is decoded in full (a header can lie, a file can be cut short), except that a JPEG is
    decoded at 1/8 scale, which still reads every byte of it. More than max_pixels is None, checked from the header
    before any pixel is decoded.
    """
    try:
        with _open(data, SENT_FORMATS, max_pixels) as im:
            return _as_is(data, im)
    except Exception:  # see _open: Pillow's plugins raise many kinds of errors for malformed input
        log.debug("not an image we send", exc_info=True)
        return None


def fit_for_model(
    data: bytes, *, max_side: int = MAX_SIDE, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> CheckedImage | None:
    """The image as we can send it: ``data`` itself when it is JPEG/PNG/WEBP/GIF within both limits; otherwise
    decoded (first frame), turned upright (EXIF orientation), scaled to a long side <= max_side and re-encoded
    without metadata (the ICC profile aside): PNG if it has real transparency and fits, else JPEG (transparency
    flattened onto white), lowering quality then size until <= max_bytes. None if it can't be decoded, has
    more than max_pixels, or can't be brought under max_bytes. Never raises.
    """
    try:
        with _open(data, READ_FORMATS, max_pixels) as im:
            # CMYK JPEGs are re-encoded as RGB: many decoders show them with inverted or wrong colours.
            if im.format in SENT_MIME and im.mode != "CMYK" and len(data) <= max_bytes and max(im.size) <= max_side:
                return _as_is(data, im)
            return _reencode(im, max_side, max_bytes)
    except Exception:
        log.debug("image could not be fitted", exc_info=True)
        return None


async def inspect_image_async(data: bytes, *, max_pixels: int = MAX_PIXELS) -> CheckedImage | None:
    return await asyncio.to_thread(inspect_image, data, max_pixels=max_pixels)


async def fit_for_model_async(
    data: bytes, *, max_side: int = MAX_SIDE, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> CheckedImage | None:
    return await asyncio.to_thread(fit_for_model, data, max_side=max_side, max_bytes=max_bytes, max_pixels=max_pixels)


@contextmanager
def _open(data: bytes, formats: tuple[str, ...], max_pixels: int) -> Iterator[ImageFile.ImageFile]:
    """Image.open (header only) with our own pixel limit, checked before anything is decoded.

    Pillow has no per-call limit, only the process-wide Image.MAX_IMAGE_PIXELS, which Image.open also applies
    (a warning above ~89 MP, DecompressionBombError above ~179 MP). We leave that global alone (it is shared
    with every thread and library using Pillow) and add our stricter check on top; so a max_pixels above
    ~179 MP has no effect. Pillow's errors for hostile input are not a closed set (SyntaxError, OSError,
    ValueError, struct.error, EOFError, IndexError, DecompressionBombError, ...): callers catch Exception.
    """
    with Image.open(io.BytesIO(data), formats=formats) as im:
        width, height = im.size
        if width < 1 or height < 1 or width * height > max_pixels:
            raise _Rejected(f"{width}x{height} px")
        yield im


def _as_is(data: bytes, im: ImageFile.ImageFile) -> CheckedImage:
    """``data`` unchanged, once its (first) frame has decoded without error."""
    width, height = im.size
    if im.format in ("JPEG", "MPO"):
        # Scaled decoding still runs the entropy decoder over the whole file, so damage is still found.
        im.draft(None, (max(1, width // 8), max(1, height // 8)))
    im.load()
    return CheckedImage(data, SENT_MIME[im.format or ""], width, height)


def _reencode(im: ImageFile.ImageFile, max_side: int, max_bytes: int) -> CheckedImage | None:
    if im.format in ("JPEG", "MPO"):
        _draft_jpeg(im, max_side)
    im.load()  # first frame only, for animations
    source_mode, icc = im.mode, im.info.get("icc_profile")
    with suppress(Exception):  # a broken EXIF block shouldn't cost the photo; it is just not turned upright
        ImageOps.exif_transpose(im, in_place=True)
    frame = _rgb_or_rgba(im)
    frame.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)  # in place: frees the big bitmap
    # Keep the ICC profile (colours of Display P3 photos) only where it still describes the pixels.
    keep_icc = source_mode in ("RGB", "RGBA", "P", "PA") or source_mode == frame.mode == "L"
    return _encode_within(frame, max_bytes, icc if keep_icc else None)


def _draft_jpeg(im: ImageFile.ImageFile, max_side: int) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale instead of the full bitmap (4000x3000: 48 MB -> 12 MB).

    Image.draft picks the largest scale whose result is still >= the size asked for; we ask for the size at the
    scale we chose: the largest whose long side keeps >= DRAFT_KEEP of max_side (4000 px -> 2000, not 4000).
    """
    long_side = max(im.size)
    for scale in (8, 4, 2):
        if -(-long_side // scale) >= max_side * DRAFT_KEEP:
            im.draft("RGB", (max(1, im.width // scale), max(1, im.height // scale)))
            return


def _rgb_or_rgba(im: Image.Image) -> Image.Image:
    """RGBA if the image has real transparency (some alpha < 255); L if grey; RGB otherwise."""
    if im.has_transparency_data:
        rgba = im if im.mode == "RGBA" else im.convert("RGBA")
        low, _high = rgba.getchannel("A").getextrema()
        if isinstance(low, int | float) and low < 255:
            return rgba
        im = rgba  # an alpha channel that is opaque everywhere: drop it, JPEG is much smaller
    return im if im.mode in ("RGB", "L") else im.convert("RGB")


def _encode_within(frame: Image.Image, max_bytes: int, icc: bytes | None) -> CheckedImage | None:
    # Encoders copy some of info unasked (JPEG: the comment; PNG: the ICC profile): start from nothing, so
    # no EXIF (GPS), XMP or comment leaves with the image.
    frame.info = {}
    if frame.mode == "RGBA":
        png = _save(frame, "PNG", icc)
        if len(png) <= max_bytes:
            return CheckedImage(png, "image/png", frame.width, frame.height)
        frame = _flatten(frame)
    while True:
        for quality in JPEG_QUALITIES:
            jpeg = _save(frame, "JPEG", icc, quality=quality)
            if len(jpeg) <= max_bytes:
                return CheckedImage(jpeg, "image/jpeg", frame.width, frame.height)
        if max(frame.size) <= MIN_SIDE:
            return None
        side = max(MIN_SIDE, int(max(frame.size) * SHRINK))
        frame.thumbnail((side, side), Image.Resampling.LANCZOS)


def _flatten(rgba: Image.Image) -> Image.Image:
    """Transparency onto white: what a chat shows behind a transparent picture in light mode."""
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _save(frame: Image.Image, fmt: str, icc: bytes | None, **options: int) -> bytes:
    out = io.BytesIO()
    frame.save(out, fmt, icc_profile=icc, **options)
    return out.getvalue()
