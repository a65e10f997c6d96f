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

"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from apis.shared.errors.codes import ErrorCode, ErrorKind, kind_for_code
from apis.shared.streaming.frames import (
    content_block_delta,
    content_block_start,
    content_block_stop,
    done_frame,
    format_sse,
    message_start,
    message_stop,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apis.shared.errors.exceptions import ApisError

__all__ = [
    "ClosingEvent",
    "ConversationalErrorEvent",
    "build_conversational_error_event",
    "conversational_error_for",
    "conversational_error_frames",
]


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


def build_conversational_error_event(
    kind: ErrorKind | ErrorCode,
    error: str | BaseException,
    session_id: str | None = None,
    recoverable: bool | None = None,
    retry_after: int | None = None,
    *,
    expose_error_text: bool = False,
) -> ConversationalErrorEvent:
    """Build the ``stream_error`` event for a failure, with a readable markdown message.

    The message is the chat text of the error's row in the error table
    (``apis.shared.errors.ErrorKind``; a bare code stands for its general
    kind), and so is ``recoverable`` unless given. The raw error text is
    quoted only when ``expose_error_text`` is set, which services do in
    development alone.
    """
    row = kind if isinstance(kind, ErrorKind) else kind_for_code(kind)
    error_text = str(error)
    message = row.value.chat_text
    if expose_error_text and error_text:
        quoted = "\n".join(f"> {line}" for line in error_text.splitlines())
        message = f"{message}\n\n{quoted}"
    metadata = {"session_id": session_id} if session_id else None
    return ConversationalErrorEvent(
        code=row.code,
        message=message,
        recoverable=row.value.recoverable if recoverable is None else recoverable,
        retry_after=retry_after,
        metadata=metadata,
    )


def conversational_error_for(
    error: ApisError, *, session_id: str | None = None, expose_error_text: bool = False
) -> ConversationalErrorEvent:
    """The ``stream_error`` event for a platform error raised after a stream started.

    Code, text and ``recoverable`` come from the error's kind (with the
    error's ``retry_after``); its internal detail is quoted only with
    ``expose_error_text``.
    """
    return build_conversational_error_event(
        error.kind,
        error.detail if isinstance(error.detail, str) and error.detail else error.message,
        session_id=session_id,
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
    yield message_start("assistant")
    yield content_block_start(0)
    yield content_block_delta(0, event.message)
    yield content_block_stop(0)
    yield message_stop(stop_reason)
    yield event.to_sse_format()
    yield done_frame()
