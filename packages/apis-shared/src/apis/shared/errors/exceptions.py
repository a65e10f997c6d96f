"""The framework-free exception tree of the platform.

Services and repositories raise these; each app translates them to HTTP in one
place (``apis.shared.http.install_error_handlers``). Nothing here imports a web
framework or an AWS SDK.

::

    ApisError                          500 internal_error
    ├── BadRequestError                400 bad_request
    ├── AuthenticationError            401 unauthorized
    ├── PermissionDeniedError          403 forbidden
    ├── NotFoundError                  404 not_found
    ├── ConflictError                  409 conflict
    ├── InputValidationError           422 validation_error
    ├── RateLimitExceededError         429 rate_limit_exceeded
    │   └── QuotaExceededError         429 quota_exceeded
    ├── InternalError                  500 internal_error
    ├── ModelInvocationError           502 model_error
    ├── DependencyUnavailableError     503 service_unavailable
    └── DependencyTimeoutError         504 timeout

``message`` is always safe to show a client. ``detail`` of a 4xx error is
meant for the client too; ``detail`` of a 5xx error is internal (it often
holds a dependency's own error text) and leaves the process only where the
app is configured to expose internal errors (development).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from apis.shared.errors.codes import ErrorCode, ErrorKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    from apis.shared.errors.responses import ErrorDetail

__all__ = [
    "ApisError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DependencyTimeoutError",
    "DependencyUnavailableError",
    "InputValidationError",
    "InternalError",
    "ModelInvocationError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitExceededError",
]


class ApisError(Exception):
    """Base of every error the platform raises on purpose.

    Catch it to handle any platform error::

        try:
            repository.get(item_id)
        except NotFoundError:
            ...

    Subclasses name their ``kind`` (a row of the one error table,
    ``apis.shared.errors.codes.ErrorKind``) and ``default_message``; ``code``
    and ``status_code`` come from the kind and cannot be set apart from it.
    """

    kind: ClassVar[ErrorKind] = ErrorKind.INTERNAL
    code: ClassVar[ErrorCode] = ErrorKind.INTERNAL.code
    status_code: ClassVar[int] = ErrorKind.INTERNAL.status
    default_message: ClassVar[str] = "An unexpected error occurred"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for derived in ("code", "status_code"):
            if derived in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} sets {derived}: name its kind instead (kind = ErrorKind.X); "
                    "every code and status comes from the table in apis.shared.errors.codes"
                )
        cls.code = cls.kind.code
        cls.status_code = cls.kind.status

    def __init__(
        self,
        message: str | None = None,
        *,
        detail: Any = None,
        field: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.detail = detail
        self.field = field
        self.metadata: dict[str, Any] | None = dict(metadata) if metadata is not None else None
        self.retry_after = retry_after
        super().__init__(self.message)

    @property
    def is_server_error(self) -> bool:
        """Whether the failure is on the platform's side (a 5xx)."""
        return self.status_code >= 500

    def public_detail(self, *, expose_internal_errors: bool) -> Any:
        """Return the detail a client may see under the given exposure policy."""
        if self.is_server_error and not expose_internal_errors:
            return None
        return self.detail

    def response_body(self, detail: ErrorDetail) -> dict[str, Any]:
        """Return the JSON body of this error's HTTP response: the envelope ``{"error": {...}}``.

        Overridden only where a deployed client reads another shape.
        """
        return detail.to_body()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code.value!r}, message={self.message!r})"


class BadRequestError(ApisError):
    """The request is malformed or asks for something impossible."""

    kind = ErrorKind.BAD_REQUEST
    default_message = "Invalid request"


class AuthenticationError(ApisError):
    """The caller is not authenticated: no credentials, or credentials that fail validation."""

    kind = ErrorKind.UNAUTHORIZED
    default_message = "Authentication required"


class PermissionDeniedError(ApisError):
    """The caller is authenticated but may not do this."""

    kind = ErrorKind.FORBIDDEN
    default_message = "Access denied"


class NotFoundError(ApisError):
    """The resource does not exist, or the caller may not know that it does."""

    kind = ErrorKind.NOT_FOUND
    default_message = "Resource not found"


class ConflictError(ApisError):
    """The resource already exists, or changed under the caller."""

    kind = ErrorKind.CONFLICT
    default_message = "Resource conflict"


class InputValidationError(ApisError):
    """Input is well-formed but fails a validation rule."""

    kind = ErrorKind.VALIDATION
    default_message = "Validation failed"


class RateLimitExceededError(ApisError):
    """Too many requests; ``retry_after`` says when to try again, in seconds."""

    kind = ErrorKind.RATE_LIMITED
    default_message = "Rate limit exceeded"


class QuotaExceededError(RateLimitExceededError):
    """The caller's usage quota for the current period is used up."""

    kind = ErrorKind.QUOTA_EXCEEDED
    default_message = "Quota exceeded"


class InternalError(ApisError):
    """A failure inside the platform that no other error describes."""


class ModelInvocationError(ApisError):
    """The model provider failed to produce an answer."""

    kind = ErrorKind.MODEL
    default_message = "The model could not answer"


class DependencyUnavailableError(ApisError):
    """A dependency the request needs (DynamoDB, S3, Bedrock, an index) failed or is unreachable."""

    kind = ErrorKind.UNAVAILABLE
    default_message = "A required service is unavailable"


class DependencyTimeoutError(ApisError):
    """A dependency the request needs did not answer in time."""

    kind = ErrorKind.TIMEOUT
    default_message = "A required service timed out"
