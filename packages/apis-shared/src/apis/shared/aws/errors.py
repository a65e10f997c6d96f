"""Translate botocore failures into the platform's errors, at the storage edge only.

Repositories wrap each AWS call in ``translate_aws_errors``; it catches only
botocore's own exceptions, decides by error *code* (never by message), and
raises a platform error ``from`` the original, so the traceback keeps the AWS
request id. Nothing else is caught.

============================================  ======================================  ======
botocore failure                              raised                                  status
============================================  ======================================  ======
throttling (ProvisionedThroughputExceeded…)   DependencyThrottledError                503
access denied / bad credentials               DependencyAccessDeniedError             503
AWS-side 5xx, missing table or bucket         DependencyUnavailableError              503
connect failure                               DependencyUnavailableError              503
connect or read timeout                       DependencyTimeoutError                  504
conditional check failed                      what the caller passed, else Conflict   409
anything else (a request we built wrong)      InternalError                           500
============================================  ======================================  ======
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from apis.shared.errors import (
    ApisError,
    ConflictError,
    DependencyTimeoutError,
    DependencyUnavailableError,
    InternalError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = [
    "CONDITIONAL_CHECK_FAILED",
    "DependencyAccessDeniedError",
    "DependencyThrottledError",
    "client_error_code",
    "is_conditional_check_failure",
    "translate_aws_errors",
]

CONDITIONAL_CHECK_FAILED = "ConditionalCheckFailedException"
_TRANSACTION_CANCELED = "TransactionCanceledException"
_THROTTLING = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "SlowDown",
        "TransactionConflictException",
    }
)
_ACCESS_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "MissingAuthenticationToken",
    }
)
_UNAVAILABLE = frozenset(
    {
        "InternalServerError",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ResourceNotFoundException",
        "NoSuchBucket",
    }
)
_RETRY_AFTER_SECONDS = 1


class DependencyThrottledError(DependencyUnavailableError):
    """An AWS service refused the call for load; retrying later helps."""

    default_message = "A required service is busy; try again shortly"


class DependencyAccessDeniedError(DependencyUnavailableError):
    """An AWS service refused the platform's credentials or permissions (a deployment fault)."""


def client_error_code(error: ClientError) -> str:
    """The AWS error code of a ClientError (empty when the response has none)."""
    return str(error.response.get("Error", {}).get("Code", ""))


def is_conditional_check_failure(error: ClientError) -> bool:
    """Whether a write failed on its condition, directly or as a cancelled transaction."""
    code = client_error_code(error)
    if code == CONDITIONAL_CHECK_FAILED:
        return True
    if code == _TRANSACTION_CANCELED:
        reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
        return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons)
    return False


def _transaction_throttled(error: ClientError) -> bool:
    reasons: list[dict[str, Any]] = error.response.get("CancellationReasons", [])  # type: ignore[assignment]
    return any(
        reason.get("Code") in ("ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict")
        for reason in reasons
    )


def _translate_client_error(
    error: ClientError, what: str, on_condition_failed: Callable[[], ApisError] | None
) -> ApisError:
    code = client_error_code(error)
    detail = f"{what}: {code}"
    if is_conditional_check_failure(error):
        return (
            on_condition_failed() if on_condition_failed else ConflictError(f"{what} conflicts with the current state")
        )
    if code in _THROTTLING or (code == _TRANSACTION_CANCELED and _transaction_throttled(error)):
        return DependencyThrottledError(detail=detail, retry_after=_RETRY_AFTER_SECONDS)
    if code in _ACCESS_DENIED:
        return DependencyAccessDeniedError(detail=detail)
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code in _UNAVAILABLE or status >= 500:
        return DependencyUnavailableError(detail=detail)
    return InternalError(detail=detail)


@contextmanager
def translate_aws_errors(what: str, *, on_condition_failed: Callable[[], ApisError] | None = None) -> Iterator[None]:
    """Run one AWS call, turning botocore failures into platform errors.

    ``what`` names the operation for logs and development error bodies (for
    example ``"users: put_item"``). ``on_condition_failed`` builds the error
    for a failed condition expression, such as ``NotFoundError`` for an
    update that requires the item to exist.
    """
    # No logging here: the error propagates, and the app's error handler logs
    # it once, with this traceback and the request id.
    try:
        yield
    except ClientError as exc:
        raise _translate_client_error(exc, what, on_condition_failed) from exc
    except (ConnectTimeoutError, ReadTimeoutError) as exc:
        raise DependencyTimeoutError(detail=f"{what}: {type(exc).__name__}") from exc
    except (EndpointConnectionError, ConnectionClosedError) as exc:
        raise DependencyUnavailableError(detail=f"{what}: {type(exc).__name__}") from exc
    except BotoCoreError as exc:
        raise DependencyUnavailableError(detail=f"{what}: {type(exc).__name__}") from exc
