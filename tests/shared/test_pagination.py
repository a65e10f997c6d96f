"""Cursors: whatever a client sends back is a valid position in the same listing, or a 400."""

from __future__ import annotations

import base64
import json

import pytest

from apis.shared.pagination import (
    MAX_CURSOR_LENGTH,
    InvalidCursorError,
    decode_cursor,
    decode_offset_cursor,
    encode_cursor,
    encode_offset_cursor,
)

KEYS = frozenset({"PK", "SK"})


def raw(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_key_cursor_round_trips() -> None:
    key = {"PK": {"S": "AST#a1"}, "SK": {"S": "DOC#d1"}}
    cursor = encode_cursor(key)
    assert cursor is not None and "=" not in cursor
    assert decode_cursor(cursor, required_keys=KEYS, bound={"PK": "AST#a1"}, prefixes={"SK": "DOC#"}) == key
    assert encode_cursor(None) is None and encode_cursor({}) is None
    assert decode_cursor(None, required_keys=KEYS) is None and decode_cursor("", required_keys=KEYS) is None


def test_a_key_cursor_of_another_partition_or_range_is_refused() -> None:
    other_assistant = encode_cursor({"PK": {"S": "AST#a2"}, "SK": {"S": "DOC#d1"}})
    with pytest.raises(InvalidCursorError) as refused:
        decode_cursor(other_assistant, required_keys=KEYS, field="next_token", bound={"PK": "AST#a1"})
    assert (refused.value.status_code, refused.value.code.value, refused.value.field) == (
        400,
        "bad_request",
        "next_token",
    )
    share = encode_cursor({"PK": {"S": "AST#a1"}, "SK": {"S": "SHARE#eve@example.edu"}})
    with pytest.raises(InvalidCursorError):
        decode_cursor(share, required_keys=KEYS, bound={"PK": "AST#a1"}, prefixes={"SK": "DOC#"})


@pytest.mark.parametrize(
    "cursor",
    [
        "forged",
        "!!!",
        raw([1, 2]),
        raw({"PK": {"S": "AST#a1"}}),
        raw({"PK": {"S": "AST#a1"}, "SK": {"S": "DOC#1"}, "extra": {"S": "x"}}),
        raw({"PK": {"N": "1"}, "SK": {"S": "DOC#1"}}),
        raw({"PK": {"S": ""}, "SK": {"S": "DOC#1"}}),
        raw({"PK": {"S": "AST#a1", "N": "1"}, "SK": {"S": "DOC#1"}}),
        raw({"PK": "AST#a1", "SK": "DOC#1"}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "A" * (MAX_CURSOR_LENGTH + 1),
    ],
)
def test_a_malformed_key_cursor_is_a_400(cursor: str) -> None:
    with pytest.raises(InvalidCursorError) as refused:
        decode_cursor(cursor, required_keys=KEYS)
    assert refused.value.status_code == 400


def test_an_offset_cursor_round_trips_within_its_scope() -> None:
    cursor = encode_offset_cursor(50, scope="files#USER#111111111")
    assert decode_offset_cursor(cursor, scope="files#USER#111111111") == 50
    assert decode_offset_cursor(encode_offset_cursor(0, scope="s"), scope="s") == 0
    assert decode_offset_cursor(None, scope="s") == 0 and decode_offset_cursor("", scope="s") == 0
    with pytest.raises(ValueError, match="starts at 0"):
        encode_offset_cursor(-1, scope="s")


def test_an_offset_cursor_of_another_owner_is_refused() -> None:
    cursor = encode_offset_cursor(2, scope="files#USER#111111111")
    with pytest.raises(InvalidCursorError) as refused:
        decode_offset_cursor(cursor, scope="files#USER#222222222", field="cursor")
    assert (refused.value.status_code, refused.value.field) == (400, "cursor")


@pytest.mark.parametrize(
    "data",
    [
        {"offset": {"S": "abc"}},
        {"offset": {"S": "2"}},
        {"offset": "abc", "scope": "s"},
        {"offset": "-5", "scope": "s"},
        {"offset": "01", "scope": "s"},
        {"offset": "1e3", "scope": "s"},
        {"offset": "1234567890", "scope": "s"},
        {"offset": 5, "scope": "s"},
        {"offset": "5", "scope": "s", "more": 1},
        {"offset": "5"},
        ["5", "s"],
    ],
)
def test_a_forged_offset_cursor_is_a_400(data: object) -> None:
    with pytest.raises(InvalidCursorError):
        decode_offset_cursor(raw(data), scope="s")
