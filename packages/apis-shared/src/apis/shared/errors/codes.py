"""The one error table: every kind of platform error, with its code, HTTP status and chat text.

Every status and code the platform answers with is derived from ``ErrorKind``:
an exception class names its kind (``kind = ErrorKind.NOT_FOUND``) and gets
``code`` and ``status_code`` from it; a plain HTTP status (a framework 404, a
413 from the body limit) gets the code of the kind that answers that status;
a failure that ends a chat stream gets the kind's chat text and whether a
retry may help.

The code values are part of the client contract: the web client matches on
them (``error.code``) and on the HTTP status, so never rename a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from http import HTTPStatus

__all__ = ["ErrorCode", "ErrorKind", "ErrorSpec", "http_status_to_error_code", "kind_for_code"]


class ErrorCode(StrEnum):
    """Machine-readable error code carried in every error body and stream event."""

    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    VALIDATION_ERROR = "validation_error"
    RATE_LIMIT_EXCEEDED = "rate_limit_exceeded"
    QUOTA_EXCEEDED = "quota_exceeded"
    INTERNAL_ERROR = "internal_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    TIMEOUT = "timeout"
    AGENT_ERROR = "agent_error"
    TOOL_ERROR = "tool_error"
    MODEL_ERROR = "model_error"
    STREAM_ERROR = "stream_error"


_GENERIC = "I ran into an unexpected problem while answering. Please try again; if it keeps happening, contact support."
_REFUSED = "I can't answer this request. Please check it and try again."
_UNAVAILABLE = "A service I depend on is unavailable right now. Please try again in a few minutes."
_TIMEOUT = "The answer took too long and was stopped. Please try again, perhaps with a shorter request."
_THROTTLED = "The model is receiving too many requests right now. Please wait a moment and try again."


@dataclass(frozen=True)
class ErrorSpec:
    """One row of the table.

    ``answers_status``: this row's code is the one a bare HTTP ``status`` gets
    (one row per status). ``recoverable``: retrying later may succeed.
    """

    code: ErrorCode
    status: int
    chat_text: str
    recoverable: bool = False
    answers_status: bool = False


class ErrorKind(Enum):
    """Every kind of error the platform answers with."""

    BAD_REQUEST = ErrorSpec(ErrorCode.BAD_REQUEST, HTTPStatus.BAD_REQUEST, _REFUSED, answers_status=True)
    UNAUTHORIZED = ErrorSpec(ErrorCode.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED, _REFUSED, answers_status=True)
    FORBIDDEN = ErrorSpec(
        ErrorCode.FORBIDDEN,
        HTTPStatus.FORBIDDEN,
        "I don't have permission to complete this request. Please contact an administrator.",
        answers_status=True,
    )
    NOT_FOUND = ErrorSpec(ErrorCode.NOT_FOUND, HTTPStatus.NOT_FOUND, _REFUSED, answers_status=True)
    CONFLICT = ErrorSpec(ErrorCode.CONFLICT, HTTPStatus.CONFLICT, _REFUSED, answers_status=True)
    # Stored bytes over a limit; a declared size over it is a plain 400 (the web client matches "too large").
    PAYLOAD_TOO_LARGE = ErrorSpec(ErrorCode.BAD_REQUEST, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, _REFUSED)
    VALIDATION = ErrorSpec(ErrorCode.VALIDATION_ERROR, HTTPStatus.UNPROCESSABLE_ENTITY, _REFUSED, answers_status=True)
    RATE_LIMITED = ErrorSpec(
        ErrorCode.RATE_LIMIT_EXCEEDED, HTTPStatus.TOO_MANY_REQUESTS, _THROTTLED, recoverable=True, answers_status=True
    )
    QUOTA_EXCEEDED = ErrorSpec(
        ErrorCode.QUOTA_EXCEEDED,
        HTTPStatus.TOO_MANY_REQUESTS,
        "Your usage quota for this period is used up. It resets at the start of the next period.",
        recoverable=True,
    )
    # The web client's upload code expects 403 with `"error": "QUOTA_EXCEEDED"` for storage.
    STORAGE_QUOTA_EXCEEDED = ErrorSpec(ErrorCode.QUOTA_EXCEEDED, HTTPStatus.FORBIDDEN, _REFUSED)
    INTERNAL = ErrorSpec(ErrorCode.INTERNAL_ERROR, HTTPStatus.INTERNAL_SERVER_ERROR, _GENERIC, answers_status=True)
    AGENT = ErrorSpec(ErrorCode.AGENT_ERROR, HTTPStatus.INTERNAL_SERVER_ERROR, _GENERIC)
    TOOL = ErrorSpec(
        ErrorCode.TOOL_ERROR,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        "A tool I tried to use failed, so I couldn't finish the answer. Please try again.",
    )
    STREAM = ErrorSpec(ErrorCode.STREAM_ERROR, HTTPStatus.INTERNAL_SERVER_ERROR, _GENERIC)
    UNAVAILABLE = ErrorSpec(
        ErrorCode.SERVICE_UNAVAILABLE,
        HTTPStatus.SERVICE_UNAVAILABLE,
        _UNAVAILABLE,
        recoverable=True,
        answers_status=True,
    )
    TIMEOUT = ErrorSpec(ErrorCode.TIMEOUT, HTTPStatus.GATEWAY_TIMEOUT, _TIMEOUT, recoverable=True, answers_status=True)
    # The model provider answered with an error: an upstream failure, not ours.
    MODEL = ErrorSpec(
        ErrorCode.MODEL_ERROR,
        HTTPStatus.BAD_GATEWAY,
        "The model could not produce an answer. Please try again, or choose another model.",
    )
    MODEL_ACCESS_DENIED = ErrorSpec(
        ErrorCode.MODEL_ERROR,
        HTTPStatus.BAD_GATEWAY,
        "I can't use the selected model: access to it is not enabled for this platform. "
        "Please choose another model or ask an administrator to enable it.",
    )
    MODEL_REQUEST_INVALID = ErrorSpec(
        ErrorCode.BAD_REQUEST,
        HTTPStatus.BAD_REQUEST,
        "The selected model doesn't support this kind of request. Please choose another model.",
    )
    MODEL_THROTTLED = ErrorSpec(
        ErrorCode.RATE_LIMIT_EXCEEDED, HTTPStatus.TOO_MANY_REQUESTS, _THROTTLED, recoverable=True
    )
    MODEL_TIMEOUT = ErrorSpec(ErrorCode.TIMEOUT, HTTPStatus.GATEWAY_TIMEOUT, _TIMEOUT, recoverable=True)
    MODEL_UNAVAILABLE = ErrorSpec(
        ErrorCode.SERVICE_UNAVAILABLE,
        HTTPStatus.SERVICE_UNAVAILABLE,
        "The model is unavailable right now. Please try again in a few minutes.",
        recoverable=True,
    )

    @property
    def code(self) -> ErrorCode:
        return self.value.code

    @property
    def status(self) -> int:
        return int(self.value.status)


_BY_STATUS: dict[int, ErrorKind] = {kind.status: kind for kind in ErrorKind if kind.value.answers_status}
# A code's general kind: its first row (the table lists each code's general row before its special ones;
# a test holds it to that).
_BY_CODE: dict[ErrorCode, ErrorKind] = {}
for _kind in ErrorKind:
    _BY_CODE.setdefault(_kind.code, _kind)


def kind_for_code(code: ErrorCode) -> ErrorKind:
    """The general kind of errors with ``code`` (its first row in the table)."""
    return _BY_CODE[code]


def http_status_to_error_code(status_code: int) -> ErrorCode:
    """Return the error code for an HTTP status.

    Statuses without a row that answers them fall back by class: any other 4xx
    is the client's fault (``bad_request``), anything else is ``internal_error``.
    """
    kind = _BY_STATUS.get(status_code)
    if kind is not None:
        return kind.code
    if 400 <= status_code < 500:
        return ErrorCode.BAD_REQUEST
    return ErrorCode.INTERNAL_ERROR
