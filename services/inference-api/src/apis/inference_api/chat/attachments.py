"""Attached files as model content blocks, and the marker the client strips from the user's text."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import PurePath
from typing import TYPE_CHECKING

from apis.shared.errors import BadRequestError
from apis.shared.providers import DocumentBlock, ImageBlock

if TYPE_CHECKING:
    from apis.shared.providers import ContentBlock

__all__ = ["attached_files_marker", "content_block"]

IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif",
                 "image/webp": "webp"}  # fmt: skip
DOCUMENT_FORMATS = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/plain": "txt",
    "text/html": "html",
    "text/csv": "csv",
    "text/markdown": "md",
}
# Bedrock accepts document names of letters, digits, single spaces, hyphens, parentheses and brackets.
_NAME_FORBIDDEN = re.compile(r"[^A-Za-z0-9\-()\[\] ]+")


def _document_name(filename: str, index: int) -> str:
    stem = _NAME_FORBIDDEN.sub(" ", PurePath(filename).stem)
    stem = re.sub(r" {2,}", " ", stem).strip()[:180]
    # Names must be unique within a request.
    return f"{stem or 'document'} ({index + 1})"


def content_block(filename: str, content_type: str, data_base64: str, index: int) -> ContentBlock:
    """The block for one file; an unsupported type or broken base64 is a 400."""
    try:
        data = base64.b64decode(data_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequestError(f"{filename} is not valid base64", field="files") from exc
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in IMAGE_FORMATS:
        return ImageBlock(format=IMAGE_FORMATS[kind], data=data)
    if kind in DOCUMENT_FORMATS:
        return DocumentBlock(format=DOCUMENT_FORMATS[kind], name=_document_name(filename, index), data=data)
    raise BadRequestError(f"file type {kind!r} of {filename} cannot be sent to the model", field="files")


def attached_files_marker(filenames: list[str]) -> str:
    """The suffix the client strips from a stored user message to rebuild its attachment chips."""
    return f"\n\n[Attached files: {', '.join(filenames)}]" if filenames else ""
