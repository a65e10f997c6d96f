"""Broken and hostile documents: seeded mutations of valid samples, and a few that once killed the worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.support.documents import make_docx, make_pdf

if TYPE_CHECKING:
    import random

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Sample:
    filename: str
    content_type: str
    data: bytes


def valid_samples() -> dict[str, Sample]:
    """One readable document of each kind the fuzzing mutates."""
    return {
        "pdf": Sample("paper.pdf", "application/pdf", make_pdf("Photosynthesis converts light", "into energy")),
        "docx": Sample("notes.docx", DOCX, make_docx("Mitochondria", "are the powerhouse of the cell")),
        "html": Sample(
            "page.html",
            "text/html",
            b"<html><head><style>p{}</style></head><body><h1>Lakes</h1><p>Titicaca &amp; Baikal</p>"
            b"<table><tr><td>deep</td></tr></table><script>x()</script></body></html>",
        ),
        "csv": Sample("scores.csv", "text/csv", b'name,score\nAda,10\n"Bob, Jr.",7\n\xc3\x89mile,9\n'),
    }


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One of: flipped bytes, a truncation, a duplicated slice, a deleted slice, or a bit of everything."""
    out = bytearray(data)
    kind = rng.randrange(5)
    if kind in (0, 4):
        for _ in range(rng.randint(1, 24)):
            out[rng.randrange(len(out))] = rng.randrange(256)
    if kind in (1, 4):
        out = out[: rng.randrange(1, len(out))]
    if kind in (2, 4):
        start, source = rng.randrange(len(out)), rng.randrange(len(out))
        out[start:start] = out[source : source + rng.randint(1, 400)]
    if kind == 3:
        start = rng.randrange(len(out))
        del out[start : start + rng.randint(1, 80)]
    return bytes(out)


def _replaced(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1, f"{old!r} is not in the sample once"
    return data.replace(old, new)


def parser_crashers() -> dict[str, Sample]:
    """Files on which pypdf or python-docx raise something other than their own read errors.

    Each killed the ingestion worker before it turned every parser failure into
    the document's recorded reason.
    """
    pdf = valid_samples()["pdf"].data
    docx = valid_samples()["docx"].data
    return {
        # "trailer0<<": pypdf reads a number where the trailer dictionary should be, AttributeError.
        "pdf-attribute-error": Sample("a.pdf", "application/pdf", _replaced(pdf, b"trailer\n", b"trailer0")),
        # An empty xref subsection: pypdf misreads the entries after it and raises LimitReachedError.
        "pdf-limit-reached": Sample("b.pdf", "application/pdf", _replaced(pdf, b"xref\n0 6\n", b"xref\n0 0\n")),
        # The first local header's extra-field length off: the deflate data is misread, zlib.error.
        "docx-zlib-error": Sample("c.docx", DOCX, docx[:28] + bytes([docx[28] ^ 0xFF]) + docx[29:]),
    }
