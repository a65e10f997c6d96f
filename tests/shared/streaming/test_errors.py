from __future__ import annotations

import pytest

from apis.shared.errors import (
    ApisError,
    BadRequestError,
    DependencyUnavailableError,
    ErrorCode,
    ErrorKind,
    kind_for_code,
)
from apis.shared.providers import ModelAccessDeniedError, ModelThrottledError, ModelTimeoutError
from apis.shared.streaming import (
    ConversationalErrorEvent,
    build_conversational_error_event,
    conversational_error_for,
    conversational_error_frames,
    format_sse,
)
from tests.support.sse import parse_sse


def test_format_sse_names_every_frame_and_drops_empty_members() -> None:
    frame = format_sse("stream_error", ConversationalErrorEvent(code=ErrorCode.TIMEOUT, message="slow"))
    assert frame == (
        'event: stream_error\ndata: {"type":"stream_error","code":"timeout","message":"slow","recoverable":false}\n\n'
    )
    assert format_sse("done", {}) == "event: done\ndata: {}\n\n"


@pytest.mark.parametrize(
    ("kind", "expected_phrase", "recoverable"),
    [
        (ErrorCode.MODEL_ERROR, "The model could not produce an answer", False),
        (ErrorKind.MODEL_ACCESS_DENIED, "access to it is not enabled for this platform", False),
        (ErrorKind.MODEL_THROTTLED, "too many requests right now", True),
        (ErrorKind.MODEL_REQUEST_INVALID, "doesn't support this kind of request", False),
        (ErrorCode.TOOL_ERROR, "A tool I tried to use failed", False),
        (ErrorCode.TIMEOUT, "took too long and was stopped", True),
        (ErrorCode.SERVICE_UNAVAILABLE, "A service I depend on is unavailable right now", True),
        (ErrorKind.MODEL_UNAVAILABLE, "The model is unavailable right now", True),
        (ErrorCode.STREAM_ERROR, "I ran into an unexpected problem", False),
    ],
)
def test_message_and_recoverable_come_from_the_error_table(
    kind: ErrorKind | ErrorCode, expected_phrase: str, recoverable: bool
) -> None:
    event = build_conversational_error_event(kind, "AccessDeniedException: internal text")
    row = kind if isinstance(kind, ErrorKind) else kind_for_code(kind)
    assert event.message == row.value.chat_text
    assert expected_phrase in event.message
    assert "internal text" not in event.message  # internal text stays out unless exposed
    assert (event.code, event.recoverable) == (row.code, recoverable)


def test_the_text_follows_the_kind_not_what_the_error_text_says() -> None:
    worded = build_conversational_error_event(ErrorCode.MODEL_ERROR, "ThrottlingException: rate exceeded")
    assert worded.message == ErrorKind.MODEL.value.chat_text


def test_error_text_is_quoted_only_when_exposed_and_session_goes_to_metadata() -> None:
    event = build_conversational_error_event(
        ErrorCode.MODEL_ERROR,
        RuntimeError("line one\nline two"),
        session_id="s-1",
        recoverable=True,
        retry_after=7,
        expose_error_text=True,
    )
    assert event.message.endswith("> line one\n> line two")
    assert event.metadata == {"session_id": "s-1"}
    assert (event.recoverable, event.retry_after, event.type) == (True, 7, "stream_error")


def test_conversational_sequence_is_what_the_client_expects() -> None:
    event = build_conversational_error_event(ErrorCode.TIMEOUT, "t", session_id="s")
    frames = parse_sse("".join(conversational_error_frames(event)))
    assert all(frame.event for frame in frames), "an unnamed frame puts the client parser in its error state"
    assert [frame.event for frame in frames] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_stop",
        "stream_error",
        "done",
    ]
    assert frames[0].data == {"role": "assistant"}
    assert frames[1].data == {"contentBlockIndex": 0, "type": "text"}
    assert frames[2].data == {"contentBlockIndex": 0, "type": "text", "text": event.message}
    assert frames[4].data == {"stopReason": "error"}
    assert frames[5].data["code"] == "timeout"
    assert frames[5].data["metadata"] == {"session_id": "s"}
    assert frames[6].data == {}


def test_any_closing_event_can_end_the_sequence() -> None:
    class QuotaExceeded:
        message = "You have used your quota."

        def to_sse_format(self) -> str:
            return format_sse("quota_exceeded", {"type": "quota_exceeded", "message": self.message})

    frames = parse_sse("".join(conversational_error_frames(QuotaExceeded(), stop_reason="quota_exceeded")))
    assert frames[2].data["text"] == "You have used your quota."
    assert frames[4].data == {"stopReason": "quota_exceeded"}
    assert [frame.event for frame in frames[-2:]] == ["quota_exceeded", "done"]


@pytest.mark.parametrize(
    ("error", "code", "recoverable", "retry_after"),
    [
        (ModelThrottledError(retry_after=7), "rate_limit_exceeded", True, 7),
        (ModelTimeoutError(), "timeout", True, None),
        (DependencyUnavailableError("Sessions are unavailable"), "service_unavailable", True, None),
        (ModelAccessDeniedError(detail="AccessDeniedException: no access"), "model_error", False, None),
        (BadRequestError("Too long"), "bad_request", False, None),
    ],
)
def test_a_platform_error_as_the_conversational_event(
    error: ApisError, code: str, recoverable: bool, retry_after: int | None
) -> None:
    event = conversational_error_for(error, session_id="s1")
    body = event.model_dump(mode="json", exclude_none=True)
    assert body["code"] == code and body["recoverable"] is recoverable
    assert body.get("retry_after") == retry_after and body["metadata"] == {"session_id": "s1"}
    assert "AccessDeniedException" not in body["message"]  # internal text only when exposed
    exposed = conversational_error_for(error, expose_error_text=True)
    assert (error.detail or error.message) in exposed.message
