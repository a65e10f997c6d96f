"""One error model for the platform: codes, the envelope, exceptions and stream events.

``apis.shared.errors`` needs only pydantic; the FastAPI translation lives in
``apis.shared.http``.
"""

from apis.shared.errors.codes import ErrorCode, default_status_for, http_status_to_error_code
from apis.shared.errors.exceptions import (
    ApisError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DependencyTimeoutError,
    DependencyUnavailableError,
    InputValidationError,
    InternalError,
    ModelInvocationError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitExceededError,
)
from apis.shared.errors.responses import ErrorDetail, create_error_response, error_detail_from_exception
from apis.shared.errors.streaming import (
    ClosingEvent,
    ConversationalErrorEvent,
    StreamErrorEvent,
    build_conversational_error_event,
    conversational_error_for,
    conversational_error_frames,
    format_sse,
)

__all__ = [
    "ApisError",
    "AuthenticationError",
    "BadRequestError",
    "ClosingEvent",
    "ConflictError",
    "ConversationalErrorEvent",
    "DependencyTimeoutError",
    "DependencyUnavailableError",
    "ErrorCode",
    "ErrorDetail",
    "InputValidationError",
    "InternalError",
    "ModelInvocationError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitExceededError",
    "StreamErrorEvent",
    "build_conversational_error_event",
    "conversational_error_for",
    "conversational_error_frames",
    "create_error_response",
    "default_status_for",
    "error_detail_from_exception",
    "format_sse",
    "http_status_to_error_code",
]
