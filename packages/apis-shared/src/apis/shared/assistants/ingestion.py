"""Turn an uploaded document into indexed chunks: extract its text, split it, index the pieces.

Text comes out of txt, md, html, csv, pdf and docx. A document whose type is
not supported, that cannot be read (whatever its parser raises), that is not
text, or that yields no text, is an error (the document is marked failed with
the reason), never an empty success.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from apis.shared.errors import InputValidationError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "MAX_TEXT_CHARS",
    "MAX_UNPACKED_BYTES",
    "SUPPORTED_TYPES",
    "UnsupportedDocumentError",
    "chunk_text",
    "extract_text",
]

# A Word document's parts, unpacked, and the text of any document: beyond these it is refused.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_TEXT_CHARS = 50 * 1024 * 1024
_MAX_REASON_CHARS = 300

SUPPORTED_TYPES: dict[str, str] = {
    "text/plain": "txt",
    "text/markdown": "md",
    "text/html": "html",
    "text/csv": "csv",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
}
_BY_EXTENSION = {extension: mime for mime, extension in SUPPORTED_TYPES.items()} | {
    "htm": "text/html",
    "markdown": "text/markdown",
}


class UnsupportedDocumentError(InputValidationError):
    default_message = "This document type cannot be read"


class _HtmlText(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "noscript"})
    _BLOCK = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _kind(filename: str, content_type: str) -> str:
    if content_type in SUPPORTED_TYPES:
        return SUPPORTED_TYPES[content_type]
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if extension in _BY_EXTENSION:
        return SUPPORTED_TYPES[_BY_EXTENSION[extension]]
    raise UnsupportedDocumentError(detail=f"{filename}: {content_type or 'unknown type'}", field="contentType")


def _pdf_text(data: bytes) -> str:
    # pypdf and python-docx load only when a document of theirs is ingested,
    # so importing the assistants package stays cheap for the services.
    from pypdf import PdfReader  # noqa: PLC0415

    pages: list[str] = []
    length = 0
    for page in PdfReader(io.BytesIO(data)).pages:
        text = page.extract_text() or ""
        length += len(text)
        if length > MAX_TEXT_CHARS:
            raise UnsupportedDocumentError(
                "The document has more text than can be indexed", detail=f"more than {MAX_TEXT_CHARS} characters"
            )
        pages.append(text)
    return "\n\n".join(pages)


def _docx_text(data: bytes) -> str:
    import docx  # noqa: PLC0415

    # python-docx loads every part of the package; zipfile never unpacks more than
    # a part's declared size, so the declared sizes bound what a zip bomb costs.
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnsupportedDocumentError(
            "The Word document is too large once unpacked", detail=f"{unpacked} bytes, at most {MAX_UNPACKED_BYTES}"
        )
    return "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(data)).paragraphs)


def _decode_text(data: bytes) -> str:
    """Text in UTF-8 (with or without a BOM), UTF-16 with a BOM, or else Windows-1252; binary data is refused."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in data:
        raise UnsupportedDocumentError("The document is not text", detail="it contains NUL bytes")
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            # JUSTIFICATION: the next encoding is tried; when none fits, the document is refused below.
            continue
    raise UnsupportedDocumentError("The text could not be decoded", detail=f"not {' or '.join(encodings)} text")


def _html_text(data: bytes) -> str:
    parser = _HtmlText()
    parser.feed(_decode_text(data))
    parser.close()
    return "".join(parser.parts)


def _csv_text(data: bytes) -> str:
    rows = csv.reader(io.StringIO(_decode_text(data)))
    return "\n".join(", ".join(cell.strip() for cell in row) for row in rows if any(cell.strip() for cell in row))


# Per kind: the reason a failed document shows, and its reader.
_READERS: dict[str, tuple[str, Callable[[bytes], str]]] = {
    "pdf": ("The PDF could not be read", _pdf_text),
    "docx": ("The Word document could not be read", _docx_text),
    "html": ("The HTML document could not be read", _html_text),
    "csv": ("The CSV document could not be read", _csv_text),
    "txt": ("The text could not be read", _decode_text),
    "md": ("The text could not be read", _decode_text),
}


def _described(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= _MAX_REASON_CHARS else f"{text[: _MAX_REASON_CHARS - 1]}…"


def extract_text(filename: str, content_type: str, data: bytes) -> str:
    """The document's text, whitespace tidied; ``UnsupportedDocumentError`` when it has none or cannot be read.

    Whatever a parser raises on a malformed or hostile file becomes that error,
    with the parser's reason in its detail: one bad document never stops the
    worker that ingests it.
    """
    reason, read = _READERS[_kind(filename, content_type)]
    try:
        text = read(data)
    except UnsupportedDocumentError:
        raise
    except Exception as exc:
        # JUSTIFICATION: not a suppression: pypdf and python-docx raise any type on a
        # malformed file (AttributeError, TypeError, zlib.error, RecursionError, ...);
        # it is re-raised as the document's recorded reason for failing.
        raise UnsupportedDocumentError(reason, detail=f"{filename}: {_described(exc)}") from exc
    tidy = re.sub(r"[ \t]+", " ", text)
    tidy = re.sub(r"\n\s*\n+", "\n\n", tidy).strip()
    if not tidy:
        raise UnsupportedDocumentError("The document contains no text", detail=filename)
    return tidy


def chunk_text(text: str, *, max_chars: int = 1000, overlap: int = 150) -> list[str]:
    """Split on paragraph and sentence boundaries into pieces of at most ``max_chars``, overlapping a little."""
    if max_chars <= overlap:
        raise ValueError("max_chars must be larger than overlap")
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n{2,}", text) if s.strip()]
    pieces: list[str] = []
    for sentence in sentences:
        rest = sentence
        while len(rest) > max_chars:
            pieces.append(rest[:max_chars])
            rest = rest[max_chars - overlap :]
        pieces.append(rest)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + 1 + len(piece) > max_chars:
            chunks.append(current)
            tail = current[-overlap:] if overlap else ""
            current = f"{tail} {piece}".strip() if len(tail) + 1 + len(piece) <= max_chars else piece
        else:
            current = f"{current} {piece}".strip()
    if current:
        chunks.append(current)
    return chunks
