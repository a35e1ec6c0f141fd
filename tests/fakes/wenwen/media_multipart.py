"""multipart/form-data as new-api (Go's ``mime/multipart``) reads it, from the already-read body.

Go rules kept: a part without a ``filename`` parameter is a form *value* even if it carries bytes;
the file name a handler sees is ``filepath.Base`` of the sent one; parts without a name are skipped.

What a handler parsed is recorded on the request (``RecordedRequest.extra``):

* ``extra["files"]`` — ``{field: (filename, content_type, data)}``, first part per field, filename
  as sent, content_type ``""`` when the part had none;
* ``extra["file_list"]`` — every file part in order: ``[(field, filename, content_type, data), …]``;
* ``extra["form"]`` — ``{field: value}``, first value per field;
* ``extra["form_list"]`` — every value in order: ``[(field, value), …]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote

from aiohttp import web

from .recording import BODY_KEY, RECORDED_KEY

MISSING_BOUNDARY = "no multipart boundary param in Content-Type"
TRUNCATED = "multipart: NextPart: EOF"

_PARAM = re.compile(r';\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str  # as sent
    content_type: str  # "" if the part had no Content-Type
    data: bytes

    @property
    def base_name(self) -> str:
        """``filepath.Base`` of the sent name — what new-api forwards upstream."""
        name = self.filename.rstrip("/")
        return name.rsplit("/", 1)[-1] if name else "."


@dataclass
class MultipartForm:
    values: list[tuple[str, str]] = field(default_factory=list)
    files: list[UploadedFile] = field(default_factory=list)

    def value(self, name: str, default: str = "") -> str:
        """``PostForm.Get``: the first value, or ``default``."""
        for key, val in self.values:
            if key == name:
                return val
        return default

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self.values)

    def files_named(self, name: str) -> list[UploadedFile]:
        return [f for f in self.files if f.field == name]


def media_type(request: web.Request) -> str:
    return request.headers.get("Content-Type", "").split(";")[0].strip().lower()


def is_multipart(request: web.Request) -> bool:
    return media_type(request) == "multipart/form-data"


def urlencoded_value(request: web.Request, name: str) -> str:
    """A field of an ``application/x-www-form-urlencoded`` body (what new-api's distributor reads)."""
    values = parse_qs(request[BODY_KEY].decode("utf-8", "replace")).get(name)
    return values[0] if values else ""


def _params(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, raw in _PARAM.findall(";" + header.split(";", 1)[1] if ";" in header else ""):
        value = raw.strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out[key.lower()] = value
    star = out.pop("filename*", None)
    if star is not None and "''" in star:
        charset, _, encoded = star.partition("''")
        try:
            out["filename"] = unquote(encoded, encoding=charset or "utf-8", errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass
    return out


def _headers(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in raw.split(b"\r\n"):
        if not line:
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            raise ValueError("malformed MIME header line: " + line.decode("utf-8", "replace"))
        key = name.decode("utf-8", "replace").strip().lower()
        headers.setdefault(key, value.decode("utf-8", "surrogateescape").strip())
    return headers


def parse_multipart(content_type: str, body: bytes) -> MultipartForm:
    """Parse a multipart body; raises ValueError with Go's text when it is malformed."""
    boundary = _params(content_type).get("boundary", "")
    if not boundary:
        raise ValueError(MISSING_BOUNDARY)
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    start = body.find(delimiter)
    if start < 0 or (start > 0 and body[start - 2 : start] != b"\r\n"):
        raise ValueError(TRUNCATED)
    form = MultipartForm()
    pos = start + len(delimiter)
    separator = b"\r\n" + delimiter
    while True:
        if body.startswith(b"--", pos):
            return form
        line_end = body.find(b"\r\n", pos)
        if line_end < 0 or body[pos:line_end].strip(b" \t"):
            raise ValueError(TRUNCATED)
        pos = line_end + 2
        end = body.find(separator, pos)
        if end < 0:
            raise ValueError(TRUNCATED)
        _add_part(form, body[pos:end])
        pos = end + len(separator)


def _add_part(form: MultipartForm, raw: bytes) -> None:
    if raw.startswith(b"\r\n"):
        head, data = b"", raw[2:]
    else:
        head, sep, data = raw.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError(TRUNCATED)
    headers = _headers(head)
    disposition = headers.get("content-disposition", "")
    if disposition.split(";")[0].strip().lower() != "form-data":
        return
    params = _params(disposition)
    name = params.get("name", "")
    if not name:
        return
    filename = params.get("filename", "")
    if not filename:
        form.values.append((name, data.decode("utf-8", "replace")))
        return
    form.files.append(UploadedFile(name, filename, headers.get("content-type", ""), data))


def read_form(request: web.Request) -> MultipartForm:
    """Parse the request's multipart body and record it on the RecordedRequest."""
    form = parse_multipart(request.headers.get("Content-Type", ""), request[BODY_KEY])
    record_form(request, form)
    return form


def form_and_model(
    request: web.Request, json_model: Callable[[web.Request], str]
) -> tuple[MultipartForm | None, str, str]:
    """What the distributor of a multipart route reads: (the form — None when the body is not
    multipart or does not parse —, the ``model`` — the form field, ``json_model(request)`` for a
    JSON body, the urlencoded field, else "" —, the form's parse error or "")."""
    if is_multipart(request):
        try:
            form = read_form(request)
        except ValueError as exc:
            return None, "", str(exc)
        return form, form.value("model"), ""
    if media_type(request) == "application/json":
        return None, json_model(request), ""
    if media_type(request) == "application/x-www-form-urlencoded":
        return None, urlencoded_value(request, "model"), ""
    return None, "", ""


def record_form(request: web.Request, form: MultipartForm) -> None:
    extra = request[RECORDED_KEY].extra
    files: dict[str, tuple[str, str, bytes]] = {}
    for upload in form.files:
        files.setdefault(upload.field, (upload.filename, upload.content_type, upload.data))
    values: dict[str, str] = {}
    for key, value in form.values:
        values.setdefault(key, value)
    extra["files"] = files
    extra["file_list"] = [(f.field, f.filename, f.content_type, f.data) for f in form.files]
    extra["form"] = values
    extra["form_list"] = list(form.values)
