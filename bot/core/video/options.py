"""`/video` arguments: `--model <name>`, `--seconds N`, `--portrait|--landscape|--size WxH`, then the prompt."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SECONDS = 60
PORTRAIT = "720x1280"
LANDSCAPE = "1280x720"
_SIZE = re.compile(r"([1-9][0-9]{1,4})[x×*]([1-9][0-9]{1,4})", re.IGNORECASE)
_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,99}")


@dataclass(frozen=True, slots=True)
class VideoOptions:
    prompt: str
    model: str | None = None
    seconds: int | None = None
    size: str | None = None


class BadVideoOption(ValueError):
    """An option the user wrote wrongly; `code` names it for the message (`video.bad_<code>`)."""

    def __init__(self, code: str, value: str = "") -> None:
        super().__init__(f"{code}: {value}")
        self.code = code
        self.value = value


def parse_options(text: str) -> VideoOptions:
    """Leading `--options` are read; everything from the first word that is not one is the prompt."""
    words = text.split()
    model: str | None = None
    seconds: int | None = None
    size: str | None = None
    index = 0
    while index < len(words) and words[index].startswith("--"):
        flag = words[index].lower()
        value = words[index + 1] if index + 1 < len(words) else ""
        if flag in ("--portrait", "--landscape"):
            size = PORTRAIT if flag == "--portrait" else LANDSCAPE
            index += 1
            continue
        if flag not in ("--model", "--seconds", "--size"):
            raise BadVideoOption("option", words[index])
        if flag == "--model":
            if not _MODEL.fullmatch(value):
                raise BadVideoOption("model", value)
            model = value
        elif flag == "--seconds":
            if not value.isdigit() or not 1 <= int(value) <= MAX_SECONDS:
                raise BadVideoOption("seconds", value)
            seconds = int(value)
        else:
            match = _SIZE.fullmatch(value)
            if match is None:
                raise BadVideoOption("size", value)
            size = f"{match.group(1)}x{match.group(2)}"
        index += 2
    return VideoOptions(" ".join(words[index:]).strip(), model, seconds, size)
