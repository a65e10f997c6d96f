"""Opaque pagination cursors over DynamoDB's LastEvaluatedKey, validated on the way back in.

A cursor the client tampered with, truncated or made up is a 400, never a
silent restart from the first page.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from apis.shared.errors import BadRequestError

__all__ = ["InvalidCursorError", "decode_cursor", "encode_cursor"]


class InvalidCursorError(BadRequestError):
    """The pagination cursor is not one this API issued."""

    default_message = "Invalid pagination token"


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """Turn DynamoDB's ``LastEvaluatedKey`` (typed attribute values) into a URL-safe cursor."""
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, required_keys: frozenset[str], field: str = "cursor") -> dict[str, Any] | None:
    """Turn a cursor back into an ``ExclusiveStartKey``; raise ``InvalidCursorError`` if it is not ours."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursorError(field=field) from exc
    valid = (
        isinstance(key, dict)
        and set(key) == required_keys
        and all(
            isinstance(value, dict) and set(value) == {"S"} and isinstance(value["S"], str) for value in key.values()
        )
    )
    if not valid:
        raise InvalidCursorError(field=field)
    return dict(key)
