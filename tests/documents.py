"""Test files made on the spot: PDFs with a text layer (or none, or a password), DOCX files, zip bombs."""

from __future__ import annotations

import io
import zipfile

import docx
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _content(lines: list[str]) -> bytes:
    shown = " ".join(f"({_escape(line)}) Tj T*" for line in lines)
    return f"BT /F1 11 Tf 14 TL 72 760 Td {shown} ET".encode("latin-1")


def pdf(*pages: list[str] | str, password: str | None = None, repeat: int = 1) -> bytes:
    """A PDF whose pages show these lines (Helvetica); an empty page has no text at all (like a scan).

    ``repeat`` makes the same pages that many times over, sharing one content stream per page."""
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    streams = []
    for page in pages:
        lines = [page] if isinstance(page, str) else page
        stream = DecodedStreamObject()
        stream.set_data(_content(lines) if any(lines) else b"")
        streams.append(writer._add_object(stream))
    for _ in range(repeat):
        for stream in streams:
            page_object = writer.add_blank_page(612, 792)
            page_object[NameObject("/Resources")] = DictionaryObject(
                {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
            )
            page_object[NameObject("/Contents")] = stream
    if password is not None:
        writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_file(*paragraphs: str, table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_bomb(unpacked_mb: int = 200) -> bytes:
    """A DOCX whose document.xml unpacks to `unpacked_mb` MB of nothing (a few hundred KB packed)."""
    base = docx_file("bait")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                target.writestr(item, source.read(item))
        with target.open("word/document.xml", "w", force_zip64=True) as handle:
            chunk = b" " * (1024 * 1024)
            for _ in range(unpacked_mb):
                handle.write(chunk)
    return out.getvalue()


def docx_nested(depth: int = 100_000) -> bytes:
    """A DOCX whose body nests `depth` elements inside one another (parsers must not follow it down)."""
    base = docx_file("bait")
    with zipfile.ZipFile(io.BytesIO(base)) as source:
        original = source.read("word/document.xml").decode()
    nested = "<w:sdt><w:sdtContent>" * depth + "</w:sdtContent></w:sdt>" * depth
    hostile = original.replace("<w:body>", f"<w:body>{nested}", 1)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = hostile.encode() if item.filename == "word/document.xml" else source.read(item)
            target.writestr(item, data)
    return out.getvalue()
