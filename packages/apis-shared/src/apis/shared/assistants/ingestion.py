"""Turn an uploaded document into indexed chunks: extract its text, split it, index the pieces.

Text comes out of txt, md, html, csv, pdf and docx. A document whose type is
not supported, or that yields no text, is an error (the document is marked
failed with the reason), never an empty success.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from html.parser import HTMLParser

from apis.shared.errors import InputValidationError

__all__ = ["SUPPORTED_TYPES", "UnsupportedDocumentError", "chunk_text", "extract_text"]

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


def _pdf_text(filename: str, data: bytes) -> str:
    # pypdf and python-docx load only when a document of theirs is ingested,
    # so importing the assistants package stays cheap for the services.
    from pypdf import PdfReader  # noqa: PLC0415
    from pypdf.errors import PdfReadError  # noqa: PLC0415

    try:
        return "\n\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    except PdfReadError as exc:
        raise UnsupportedDocumentError("The PDF could not be read", detail=f"{filename}: {exc}") from exc


def _docx_text(filename: str, data: bytes) -> str:
    import docx  # noqa: PLC0415
    from docx.opc.exceptions import PackageNotFoundError  # noqa: PLC0415

    try:
        return "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(data)).paragraphs)
    except (zipfile.BadZipFile, PackageNotFoundError) as exc:
        raise UnsupportedDocumentError("The Word document could not be read", detail=f"{filename}: {exc}") from exc


def _html_text(data: bytes) -> str:
    parser = _HtmlText()
    parser.feed(data.decode("utf-8-sig", errors="replace"))
    return "".join(parser.parts)


def _csv_text(data: bytes) -> str:
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace")))
    return "\n".join(", ".join(cell.strip() for cell in row) for row in rows if any(cell.strip() for cell in row))


def extract_text(filename: str, content_type: str, data: bytes) -> str:
    """The document's text, whitespace tidied; ``UnsupportedDocumentError`` when it has none or cannot be read."""
    kind = _kind(filename, content_type)
    try:
        if kind == "pdf":
            text = _pdf_text(filename, data)
        elif kind == "docx":
            text = _docx_text(filename, data)
        elif kind == "html":
            text = _html_text(data)
        elif kind == "csv":
            text = _csv_text(data)
        else:
            text = data.decode("utf-8-sig", errors="replace")
    except (ValueError, KeyError) as exc:
        raise UnsupportedDocumentError("The document could not be read", detail=f"{filename}: {exc}") from exc
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
