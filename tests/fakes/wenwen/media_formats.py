"""Small but real media files (PNG images; MP3, Ogg/Opus, AAC, FLAC, WAV, PCM silence) and the
magic-byte sniffing the fake's image checks use."""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass
from functools import cache, lru_cache

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOUR_MODES = {0: "L", 2: "RGB", 3: "P", 4: "LA", 6: "RGBA"}


# ------------------------------------------------------------------------ images
def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


@lru_cache(maxsize=64)
def png_image(width: int, height: int, seed: str = "", alpha: bool = False) -> bytes:
    """A valid 8-bit RGB (or RGBA) PNG of this size: four flat quadrants coloured from ``seed``."""
    digest = hashlib.sha256(seed.encode()).digest()
    pixel = 4 if alpha else 3
    colours = [digest[i : i + 3] + (b"\xff" if alpha else b"") for i in (0, 3, 6, 9)]
    half_w, half_h = width // 2, height // 2
    top = b"\x00" + colours[0] * half_w + colours[1] * (width - half_w)
    bottom = b"\x00" + colours[2] * half_w + colours[3] * (width - half_w)
    raw = top * half_h + bottom * (height - half_h)
    colour_type = 6 if alpha else 2
    assert len(top) == 1 + width * pixel
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(raw, 6))
        + _png_chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class PngInfo:
    width: int
    height: int
    mode: str  # PIL-style: L, RGB, P, LA, RGBA


def png_info(data: bytes) -> PngInfo | None:
    """Width, height and colour mode from the IHDR chunk, or None if ``data`` is not a PNG."""
    if not data.startswith(PNG_SIGNATURE) or len(data) < 33 or data[12:16] != b"IHDR":
        return None
    width, height, _depth, colour_type = struct.unpack(">IIBB", data[16:26])
    return PngInfo(width, height, _PNG_COLOUR_MODES.get(colour_type, "?"))


def sniff_image(data: bytes) -> str:
    """The MIME type the bytes are (by magic number); ``application/octet-stream`` if unknown."""
    if data.startswith(PNG_SIGNATURE):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:2] == b"BM":
        return "image/bmp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    return "application/octet-stream"


# ------------------------------------------------------------------------- audio
SPEECH_SAMPLE_RATE = 24000  # OpenAI TTS output rate


class _Bits:
    def __init__(self) -> None:
        self.value = 0
        self.count = 0

    def put(self, value: int, bits: int) -> None:
        self.value = (self.value << bits) | (value & ((1 << bits) - 1))
        self.count += bits

    def bytes(self) -> bytes:
        pad = (-self.count) % 8
        return (self.value << pad).to_bytes((self.count + pad) // 8, "big")


def _mp3(seconds: int) -> bytes:
    """ID3v2.4 tag (TSSE) + silent MPEG-1 Layer III frames, 128 kbit/s, 44.1 kHz, mono."""
    text = b"\x03Lavf60.16.100\x00"
    frame = b"TSSE" + _syncsafe(len(text)) + b"\x00\x00" + text
    tag = b"ID3\x04\x00\x00" + _syncsafe(len(frame)) + frame
    header = bytes([0xFF, 0xFB, 0x90, 0xC4])
    mpeg_frame = header + b"\x00" * (417 - len(header))  # 144 * 128000 / 44100 = 417
    count = -(-seconds * 44100 // 1152)
    return tag + mpeg_frame * count


def _syncsafe(size: int) -> bytes:
    return bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])


def _ogg_crc_table() -> list[int]:
    table = []
    for index in range(256):
        crc = index << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
        table.append(crc & 0xFFFFFFFF)
    return table


_OGG_CRC = _ogg_crc_table()


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _OGG_CRC[((crc >> 24) & 0xFF) ^ byte]
    return crc


def _ogg_page(packets: list[bytes], *, flags: int, granule: int, serial: int, sequence: int) -> bytes:
    lacing = bytearray()
    for packet in packets:
        size = len(packet)
        lacing.extend(b"\xff" * (size // 255))
        lacing.append(size % 255)
    if len(lacing) > 255:
        raise ValueError("too many segments for one Ogg page")
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, serial, sequence, 0, len(lacing))
    page = header + bytes(lacing) + b"".join(packets)
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


def _ogg_opus(seconds: int) -> bytes:
    """Ogg-encapsulated Opus (RFC 7845), mono, 20 ms CELT silence frames — what OpenAI's ``opus``
    answer is and what Telegram ``sendVoice`` accepts."""
    serial, pre_skip = 0x5745574E, 312
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, pre_skip, SPEECH_SAMPLE_RATE, 0, 0)
    vendor = b"fake-wenwen"
    tags = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", 1)
    comment = b"encoder=fake-wenwen"
    tags += struct.pack("<I", len(comment)) + comment
    pages = [
        _ogg_page([head], flags=0x02, granule=0, serial=serial, sequence=0),
        _ogg_page([tags], flags=0x00, granule=0, serial=serial, sequence=1),
    ]
    silence = b"\xf8\xff\xfe"  # TOC: CELT-only fullband 20 ms, mono, one frame
    total = seconds * 50
    sequence, sent = 2, 0
    while sent < total:
        batch = min(50, total - sent)
        sent += batch
        flags = 0x04 if sent == total else 0x00
        pages.append(_ogg_page([silence] * batch, flags=flags, granule=sent * 960, serial=serial, sequence=sequence))
        sequence += 1
    return b"".join(pages)


def _adts_aac(seconds: int) -> bytes:
    """ADTS AAC-LC, 24 kHz mono, silent frames (one empty single-channel element each)."""
    raw = _Bits()
    raw.put(0, 3)  # ID_SCE
    raw.put(0, 4)  # element_instance_tag
    raw.put(100, 8)  # global_gain
    raw.put(0, 1)  # ics_reserved_bit
    raw.put(0, 2)  # ONLY_LONG_SEQUENCE
    raw.put(0, 1)  # window_shape
    raw.put(0, 6)  # max_sfb = 0: no sections, no scale factors, no spectral data
    raw.put(0, 1)  # predictor_data_present
    raw.put(0, 3)  # pulse / tns / gain_control data present
    raw.put(7, 3)  # ID_END
    payload = raw.bytes()
    length = 7 + len(payload)
    header = _Bits()
    header.put(0xFFF, 12)
    header.put(0, 1)  # MPEG-4
    header.put(0, 2)  # layer
    header.put(1, 1)  # protection absent
    header.put(1, 2)  # AAC LC (object type 2, minus one)
    header.put(6, 4)  # 24000 Hz
    header.put(0, 1)
    header.put(1, 3)  # mono
    header.put(0, 4)
    header.put(length, 13)
    header.put(0x7FF, 11)  # VBR
    header.put(0, 2)  # one raw data block
    frame = header.bytes() + payload
    return frame * -(-seconds * SPEECH_SAMPLE_RATE // 1024)


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def _flac(seconds: int) -> bytes:
    """FLAC, 24 kHz mono 16-bit, 4096-sample frames each holding one CONSTANT(0) subframe."""
    block = 4096
    frames = -(-seconds * SPEECH_SAMPLE_RATE // block)
    total = frames * block
    if frames >= 0x80:
        raise ValueError("the fake writes one-byte FLAC frame numbers only")
    body = bytearray()
    for number in range(frames):
        head = bytes([0xFF, 0xF8, 0xC7, 0x08, number])  # fixed 4096 blocks, 24 kHz, mono, 16 bit
        head += bytes([_crc8(head)])
        frame = head + b"\x00" + b"\x00\x00"  # subframe header CONSTANT, value 0
        frame += struct.pack(">H", _crc16(frame))
        body += frame
    frame_size = 11
    info = _Bits()
    info.put(block, 16)
    info.put(block, 16)
    info.put(frame_size, 24)  # min frame size
    info.put(frame_size, 24)
    info.put(SPEECH_SAMPLE_RATE, 20)
    info.put(0, 3)  # channels - 1
    info.put(15, 5)  # bits per sample - 1
    info.put(total, 36)
    streaminfo = info.bytes() + hashlib.md5(b"\x00" * (total * 2)).digest()
    metadata = bytes([0x80]) + len(streaminfo).to_bytes(3, "big") + streaminfo  # last block, STREAMINFO
    return b"fLaC" + metadata + bytes(body)


def _pcm(seconds: int) -> bytes:
    return b"\x00\x00" * (SPEECH_SAMPLE_RATE * seconds)


def _wav(seconds: int) -> bytes:
    data = _pcm(seconds)
    fmt = struct.pack("<HHIIHH", 1, 1, SPEECH_SAMPLE_RATE, SPEECH_SAMPLE_RATE * 2, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


# response_format → (Content-Type OpenAI answers with, builder)
SPEECH_FORMATS = {
    "mp3": ("audio/mpeg", _mp3),
    "opus": ("audio/ogg", _ogg_opus),
    "aac": ("audio/aac", _adts_aac),
    "flac": ("audio/flac", _flac),
    "wav": ("audio/wav", _wav),
    "pcm": ("audio/pcm", _pcm),
}


@cache
def speech_audio(response_format: str, seconds: int = 1) -> tuple[str, bytes]:
    """(Content-Type, bytes) of ``seconds`` of silence in an OpenAI TTS ``response_format``."""
    content_type, build = SPEECH_FORMATS[response_format]
    return content_type, build(seconds)
