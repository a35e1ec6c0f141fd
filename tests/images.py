"""Real, tiny images for tests: the bot decodes what users send, so fake bytes would be refused."""

from __future__ import annotations

from io import BytesIO

from PIL import Image


def jpeg(seed: int = 0, size: tuple[int, int] = (16, 12)) -> bytes:
    """A small JPEG whose bytes differ for every seed."""
    image = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 13 + 60) % 256))
    out = BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def png(seed: int = 0, size: tuple[int, int] = (16, 12)) -> bytes:
    image = Image.new("RGB", size, ((seed * 53) % 256, 120, (seed * 7) % 256))
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
