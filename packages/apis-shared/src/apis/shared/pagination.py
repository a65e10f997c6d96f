"""Opaque pagination cursors, fully validated on the way back in and bound to what they page.

A cursor the client tampered with, truncated, made up or took from another
listing is a 400, never a 500 and never a silent restart from the first page.

Cursors are validated, not signed. Every cursor is a position inside a listing
the caller may read in full anyway (their own partition, an assistant they
own), so a forged position can only skip within it; what must never happen is
a cursor that leaves the listing (another user's partition, another
assistant's documents), one DynamoDB rejects (a 500), or one that pages
forever (a negative offset). Checking each cursor against the exact key schema
of its listing, with the partition it must stay in (``bound``) and the prefix
its sort key must keep (``prefixes``), rules all three out without a signing
secret to provision, rotate and share between replicas and both services.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import TYPE_CHECKING, Any

from apis.shared.errors import BadRequestError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "MAX_CURSOR_LENGTH",
    "InvalidCursorError",
    "decode_cursor",
    "decode_offset_cursor",
    "encode_cursor",
    "encode_offset_cursor",
]

MAX_CURSOR_LENGTH = 4096
"""Longer than any key this platform issues; anything longer is refused before decoding."""

_OFFSET = re.compile(r"0|[1-9][0-9]{0,8}")
_OFFSET_KEYS = frozenset({"scope", "offset"})


class InvalidCursorError(BadRequestError):
    """The pagination cursor is not one this API issued for this listing."""

    default_message = "Invalid pagination token"


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """Turn DynamoDB's ``LastEvaluatedKey`` (typed attribute values) into a URL-safe cursor."""
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_json(cursor: str, field: str) -> object:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursorError(field=field)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursorError(field=field) from exc


def decode_cursor(
    cursor: str | None,
    *,
    required_keys: frozenset[str],
    field: str = "cursor",
    bound: Mapping[str, str] | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """Turn a cursor back into an ``ExclusiveStartKey``; raise ``InvalidCursorError`` unless it is ours.

    The key must have exactly ``required_keys``, each a string; every attribute
    in ``bound`` must have exactly that value (the partition of the listing:
    ``{"PK": f"AST#{assistant_id}"}``) and every one in ``prefixes`` must start
    with that prefix (the listing's sort-key range: ``{"SK": "DOC#"}``).
    """
    if cursor is None or cursor == "":
        return None
    key = _decode_json(cursor, field)
    if not (isinstance(key, dict) and set(key) == required_keys):
        raise InvalidCursorError(field=field)
    values: dict[str, str] = {}
    for name, value in key.items():
        if not (isinstance(value, dict) and set(value) == {"S"} and isinstance(value["S"], str) and value["S"]):
            raise InvalidCursorError(field=field)
        values[name] = value["S"]
    for name, expected in (bound or {}).items():
        if values.get(name) != expected:
            raise InvalidCursorError(field=field)
    for name, prefix in (prefixes or {}).items():
        if not values.get(name, "").startswith(prefix):
            raise InvalidCursorError(field=field)
    return dict(key)


def encode_offset_cursor(offset: int, *, scope: str) -> str:
    """A cursor for listings paged in memory: a position in the listing ``scope`` names.

    ``scope`` names the listing and its owner (``f"files#USER#{user_id}"``), so
    the cursor is refused anywhere else.
    """
    if offset < 0:
        raise ValueError("an offset cursor starts at 0")
    raw = json.dumps({"offset": str(offset), "scope": scope}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_offset_cursor(cursor: str | None, *, scope: str, field: str = "cursor") -> int:
    """The offset an ``encode_offset_cursor`` cursor holds (0 for none); 400 unless issued for ``scope``."""
    if cursor is None or cursor == "":
        return 0
    data = _decode_json(cursor, field)
    if not (
        isinstance(data, dict)
        and set(data) == _OFFSET_KEYS
        and data["scope"] == scope
        and isinstance(data["offset"], str)
        and _OFFSET.fullmatch(data["offset"])
    ):
        raise InvalidCursorError(field=field)
    return int(data["offset"])
