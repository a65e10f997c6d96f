from __future__ import annotations

import pytest

from apis.shared import errors
from apis.shared.errors import (
    ApisError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DependencyTimeoutError,
    DependencyUnavailableError,
    ErrorCode,
    InputValidationError,
    InternalError,
    ModelInvocationError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitExceededError,
)

EXPECTED = [
    (BadRequestError, 400, ErrorCode.BAD_REQUEST),
    (AuthenticationError, 401, ErrorCode.UNAUTHORIZED),
    (PermissionDeniedError, 403, ErrorCode.FORBIDDEN),
    (NotFoundError, 404, ErrorCode.NOT_FOUND),
    (ConflictError, 409, ErrorCode.CONFLICT),
    (InputValidationError, 422, ErrorCode.VALIDATION_ERROR),
    (RateLimitExceededError, 429, ErrorCode.RATE_LIMIT_EXCEEDED),
    (QuotaExceededError, 429, ErrorCode.QUOTA_EXCEEDED),
    (InternalError, 500, ErrorCode.INTERNAL_ERROR),
    (ModelInvocationError, 502, ErrorCode.MODEL_ERROR),
    (DependencyUnavailableError, 503, ErrorCode.SERVICE_UNAVAILABLE),
    (DependencyTimeoutError, 504, ErrorCode.TIMEOUT),
]


@pytest.mark.parametrize(("error_class", "status", "code"), EXPECTED)
def test_each_error_knows_its_status_and_code(error_class: type[ApisError], status: int, code: ErrorCode) -> None:
    error = error_class()
    assert isinstance(error, ApisError)
    assert error.status_code == status
    assert error.code is code
    assert error.kind.status == status and error.kind.code is code
    assert error.message == error_class.default_message
    assert str(error) == error.message


def test_every_exported_error_is_in_the_table() -> None:
    exported = {getattr(errors, name) for name in errors.__all__ if isinstance(getattr(errors, name), type)}
    exported_errors = {cls for cls in exported if issubclass(cls, ApisError) and cls is not ApisError}
    assert exported_errors == {row[0] for row in EXPECTED}


def test_quota_exceeded_is_a_rate_limit_error() -> None:
    with pytest.raises(RateLimitExceededError):
        raise QuotaExceededError(retry_after=30)


def test_fields_are_kept() -> None:
    error = NotFoundError("Session not found", detail="no session s-1", field="sessionId", metadata={"id": "s-1"})
    assert error.message == "Session not found"
    assert error.detail == "no session s-1"
    assert error.field == "sessionId"
    assert error.metadata == {"id": "s-1"}
    assert repr(error) == "NotFoundError(code='not_found', message='Session not found')"


def test_client_errors_show_their_detail_server_errors_only_when_exposed() -> None:
    client_side = BadRequestError("Bad file", detail="file type .exe is not allowed")
    assert client_side.public_detail(expose_internal_errors=False) == "file type .exe is not allowed"
    server_side = DependencyUnavailableError(detail="ProvisionedThroughputExceededException: table sessions")
    assert server_side.is_server_error
    assert server_side.public_detail(expose_internal_errors=False) is None
    assert server_side.public_detail(expose_internal_errors=True) == (
        "ProvisionedThroughputExceededException: table sessions"
    )


def test_metadata_is_copied_not_shared() -> None:
    source = {"a": 1}
    error = ConflictError(metadata=source)
    source["a"] = 2
    assert error.metadata == {"a": 1}
