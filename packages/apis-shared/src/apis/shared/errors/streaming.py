"""Errors inside a chat stream (Server-Sent Events).

Once a stream has started the HTTP status is sent, so an error travels as
events. The web client expects a *conversational* error: the explanation as
an ordinary assistant message, then a ``stream_error`` event it stores, then
``done``::

    message_start {role: assistant}
    content_block_start {contentBlockIndex: 0, type: text}
    content_block_delta {contentBlockIndex: 0, type: text, text: <markdown>}
    content_block_stop {contentBlockIndex: 0}
    message_stop {stopReason: error}
    stream_error {type, code, message, recoverable, retry_after?, metadata?}
    done {}

``StreamErrorEvent`` is the older ``event: error`` frame, kept for callers that
still send it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from apis.shared.errors.codes import ErrorCode

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from apis.shared.errors.exceptions import ApisError

__all__ = [
    "ClosingEvent",
    "ConversationalErrorEvent",
    "StreamErrorEvent",
    "build_conversational_error_event",
    "conversational_error_for",
    "conversational_error_frames",
    "format_sse",
]

# Worth retrying: the caller is throttled or the dependency is briefly away.
_RECOVERABLE_STATUSES = frozenset({429, 503, 504})


def format_sse(event: str, data: Mapping[str, Any] | BaseModel) -> str:
    """Format one named SSE frame; every frame the platform sends has a name."""
    if isinstance(data, BaseModel):
        payload = data.model_dump(mode="json", by_alias=True, exclude_none=True)
    else:
        payload = dict(data)
    return f"event: {event}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


class StreamErrorEvent(BaseModel):
    """Legacy ``event: error`` frame: ``{error, code, detail?, recoverable, metadata?}``."""

    error: str
    code: ErrorCode
    detail: str | None = None
    recoverable: bool = False
    metadata: dict[str, Any] | None = None

    def to_sse_format(self) -> str:
        """Return the frame as SSE text."""
        return format_sse("error", self)


class ConversationalErrorEvent(BaseModel):
    """The ``stream_error`` event that follows a conversational error message."""

    model_config = ConfigDict(frozen=True)

    type: Literal["stream_error"] = "stream_error"
    code: ErrorCode
    message: str
    recoverable: bool = False
    retry_after: int | None = None
    metadata: dict[str, Any] | None = None

    def to_sse_format(self) -> str:
        """Return the frame as SSE text."""
        return format_sse("stream_error", self)


_GENERIC = "I ran into an unexpected problem while answering. Please try again; if it keeps happening, contact support."
_MODEL_ACCESS_DENIED = (
    "I can't use the selected model: access to it is not enabled for this platform. "
    "Please choose another model or ask an administrator to enable it."
)
_MODEL_THROTTLED = "The model is receiving too many requests right now. Please wait a moment and try again."
_MODEL_GENERIC = "The model could not produce an answer. Please try again, or choose another model."
_TOOL = "A tool I tried to use failed, so I couldn't finish the answer. Please try again."
_TIMEOUT = "The answer took too long and was stopped. Please try again, perhaps with a shorter request."
_UNAVAILABLE = "A service I depend on is unavailable right now. Please try again in a few minutes."
_STREAM_ACCESS_DENIED = "I don't have permission to complete this request. Please contact an administrator."
_STREAM_UNSUPPORTED_MODEL = "The selected model doesn't support this kind of request. Please choose another model."
_STREAM_PROMPT_CACHING = (
    "The selected model doesn't support prompt caching. Please choose another model or disable caching."
)

_ACCESS_DENIED_MARKERS = ("accessdenied", "access denied", "not authorized", "unauthorized")
_THROTTLING_MARKERS = ("throttl", "too many requests", "rate exceeded", "rate limit")
_UNSUPPORTED_MARKERS = ("unsupported model", "doesn't support", "does not support", "not supported")


def _contains(text: str, markers: tuple[str, ...]) -> bool:
    return any(marker in text for marker in markers)


_FIXED_TEXTS: dict[ErrorCode, str] = {
    ErrorCode.TOOL_ERROR: _TOOL,
    ErrorCode.TIMEOUT: _TIMEOUT,
    ErrorCode.SERVICE_UNAVAILABLE: _UNAVAILABLE,
    ErrorCode.RATE_LIMIT_EXCEEDED: _MODEL_THROTTLED,
}


def _model_error_text(lowered: str) -> str:
    if _contains(lowered, _ACCESS_DENIED_MARKERS):
        return _MODEL_ACCESS_DENIED
    if _contains(lowered, _THROTTLING_MARKERS):
        return _MODEL_THROTTLED
    return _MODEL_GENERIC


def _stream_error_text(lowered: str) -> str:
    if _contains(lowered, _ACCESS_DENIED_MARKERS):
        return _STREAM_ACCESS_DENIED
    if "caching" in lowered:
        return _STREAM_PROMPT_CACHING
    if _contains(lowered, _UNSUPPORTED_MARKERS):
        return _STREAM_UNSUPPORTED_MODEL
    return _GENERIC


def _choose_text(code: ErrorCode, error_text: str) -> str:
    lowered = error_text.lower()
    if code is ErrorCode.MODEL_ERROR:
        return _model_error_text(lowered)
    if code is ErrorCode.STREAM_ERROR:
        return _stream_error_text(lowered)
    return _FIXED_TEXTS.get(code, _GENERIC)


def build_conversational_error_event(
    code: ErrorCode,
    error: str | BaseException,
    session_id: str | None = None,
    recoverable: bool = False,
    retry_after: int | None = None,
    *,
    expose_error_text: bool = False,
) -> ConversationalErrorEvent:
    """Build the ``stream_error`` event for a failure, with a readable markdown message.

    The message is chosen by ``code`` and, for model and stream errors, by
    what the error says (access denied, throttling, unsupported model or
    prompt caching). The raw error text is quoted only when
    ``expose_error_text`` is set, which services do in development alone.
    """
    error_text = str(error)
    message = _choose_text(code, error_text)
    if expose_error_text and error_text:
        quoted = "\n".join(f"> {line}" for line in error_text.splitlines())
        message = f"{message}\n\n{quoted}"
    metadata = {"session_id": session_id} if session_id else None
    return ConversationalErrorEvent(
        code=code,
        message=message,
        recoverable=recoverable,
        retry_after=retry_after,
        metadata=metadata,
    )


def conversational_error_for(
    error: ApisError, *, session_id: str | None = None, expose_error_text: bool = False
) -> ConversationalErrorEvent:
    """The ``stream_error`` event for a platform error raised after a stream started.

    The code is the error's own; a throttled, unavailable or timed-out
    dependency is ``recoverable`` (with the error's ``retry_after``). The text
    the user reads is chosen from the code; the error's internal detail is
    quoted only with ``expose_error_text``.
    """
    return build_conversational_error_event(
        error.code,
        error.detail if isinstance(error.detail, str) and error.detail else error.message,
        session_id=session_id,
        recoverable=error.status_code in _RECOVERABLE_STATUSES,
        retry_after=error.retry_after,
        expose_error_text=expose_error_text,
    )


class ClosingEvent(Protocol):
    """What ends a conversational error: its text is shown, then the event itself is sent."""

    @property
    def message(self) -> str: ...

    def to_sse_format(self) -> str: ...


def conversational_error_frames(event: ClosingEvent, *, stop_reason: str = "error") -> Iterator[str]:
    """Yield the whole conversational error sequence as SSE frames, ``done`` last.

    ``event`` is a ``ConversationalErrorEvent`` (``stop_reason="error"``) or
    any event with a ``message`` and ``to_sse_format``, such as the quota's
    ``quota_exceeded`` event (``stop_reason="quota_exceeded"``).
    """
    yield format_sse("message_start", {"role": "assistant"})
    yield format_sse("content_block_start", {"contentBlockIndex": 0, "type": "text"})
    yield format_sse("content_block_delta", {"contentBlockIndex": 0, "type": "text", "text": event.message})
    yield format_sse("content_block_stop", {"contentBlockIndex": 0})
    yield format_sse("message_stop", {"stopReason": stop_reason})
    yield event.to_sse_format()
    yield format_sse("done", {})
