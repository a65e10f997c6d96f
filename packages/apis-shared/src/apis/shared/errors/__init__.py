"""One error model for the platform: the error table, the envelope and the exceptions.

``apis.shared.errors`` needs only pydantic; the FastAPI translation lives in
``apis.shared.http``.
"""

from apis.shared.errors.codes import (
    ErrorCode,
    ErrorKind,
    ErrorSpec,
    http_status_to_error_code,
    kind_for_code,
)
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

__all__ = [
    "ApisError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DependencyTimeoutError",
    "DependencyUnavailableError",
    "ErrorCode",
    "ErrorDetail",
    "ErrorKind",
    "ErrorSpec",
    "InputValidationError",
    "InternalError",
    "ModelInvocationError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitExceededError",
    "create_error_response",
    "error_detail_from_exception",
    "http_status_to_error_code",
    "kind_for_code",
]
