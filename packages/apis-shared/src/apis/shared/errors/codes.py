"""Error codes and their HTTP statuses.

The values are part of the client contract: the web client matches on them
(`error.code`) and on the HTTP status, so never rename a value.
"""

from __future__ import annotations

from enum import StrEnum
from http import HTTPStatus

__all__ = ["ErrorCode", "default_status_for", "http_status_to_error_code"]


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


_STATUS_TO_CODE: dict[int, ErrorCode] = {
    HTTPStatus.BAD_REQUEST: ErrorCode.BAD_REQUEST,
    HTTPStatus.UNAUTHORIZED: ErrorCode.UNAUTHORIZED,
    HTTPStatus.FORBIDDEN: ErrorCode.FORBIDDEN,
    HTTPStatus.NOT_FOUND: ErrorCode.NOT_FOUND,
    HTTPStatus.CONFLICT: ErrorCode.CONFLICT,
    HTTPStatus.UNPROCESSABLE_ENTITY: ErrorCode.VALIDATION_ERROR,
    HTTPStatus.TOO_MANY_REQUESTS: ErrorCode.RATE_LIMIT_EXCEEDED,
    HTTPStatus.INTERNAL_SERVER_ERROR: ErrorCode.INTERNAL_ERROR,
    HTTPStatus.SERVICE_UNAVAILABLE: ErrorCode.SERVICE_UNAVAILABLE,
    HTTPStatus.GATEWAY_TIMEOUT: ErrorCode.TIMEOUT,
}

_CODE_TO_STATUS: dict[ErrorCode, int] = {
    **{code: int(status) for status, code in _STATUS_TO_CODE.items()},
    ErrorCode.QUOTA_EXCEEDED: HTTPStatus.TOO_MANY_REQUESTS,
    ErrorCode.AGENT_ERROR: HTTPStatus.INTERNAL_SERVER_ERROR,
    ErrorCode.TOOL_ERROR: HTTPStatus.INTERNAL_SERVER_ERROR,
    ErrorCode.STREAM_ERROR: HTTPStatus.INTERNAL_SERVER_ERROR,
    # The model provider answered with an error: an upstream failure, not ours.
    ErrorCode.MODEL_ERROR: HTTPStatus.BAD_GATEWAY,
}


def http_status_to_error_code(status_code: int) -> ErrorCode:
    """Return the error code for an HTTP status.

    Statuses without an entry of their own fall back by class: any other 4xx
    is the client's fault (``bad_request``), anything else is ``internal_error``.
    """
    code = _STATUS_TO_CODE.get(status_code)
    if code is not None:
        return code
    if 400 <= status_code < 500:
        return ErrorCode.BAD_REQUEST
    return ErrorCode.INTERNAL_ERROR


def default_status_for(code: ErrorCode) -> int:
    """Return the HTTP status an error with this code is sent with."""
    return int(_CODE_TO_STATUS[code])
