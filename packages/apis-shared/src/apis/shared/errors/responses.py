"""The error envelope every HTTP error of both services is sent in.

::

    {"error": {"code": "not_found", "message": "...", "detail": ...,
               "field": ..., "metadata": {...}, "requestId": "..."}}

Optional members are left out when empty. The web client shows
``error.detail`` when it is a string and ``error.message`` otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from apis.shared.errors.codes import ErrorCode

if TYPE_CHECKING:
    from apis.shared.errors.exceptions import ApisError

__all__ = ["ErrorDetail", "create_error_response", "error_detail_from_exception"]


class ErrorDetail(BaseModel):
    """The ``error`` member of an error body."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    code: ErrorCode
    message: str
    detail: Any = None
    field: str | None = None
    metadata: dict[str, Any] | None = None
    request_id: str | None = Field(default=None, serialization_alias="requestId", validation_alias="requestId")

    def to_body(self) -> dict[str, Any]:
        """Return the whole JSON body: ``{"error": {...}}``."""
        return {"error": self.model_dump(mode="json", by_alias=True, exclude_none=True)}


def create_error_response(
    code: ErrorCode,
    message: str,
    detail: Any = None,
    status_code: int = 500,
    metadata: dict[str, Any] | None = None,
    field: str | None = None,
) -> dict[str, Any]:
    """Build an error body plus its status, as ``{"error": {...}, "status_code": n}``.

    Kept for code written to the seed's pattern
    (``HTTPException(status_code, detail=create_error_response(...))``): the
    installed handlers recognise such a ``detail`` and send its ``error``
    member as the envelope. New code raises an ``ApisError`` instead.
    """
    body = ErrorDetail(code=code, message=message, detail=detail, field=field, metadata=metadata).to_body()
    body["status_code"] = status_code
    return body


def error_detail_from_exception(
    exc: ApisError, *, expose_internal_errors: bool, request_id: str | None = None
) -> ErrorDetail:
    """Describe a platform error for a client under the given exposure policy."""
    return ErrorDetail(
        code=exc.code,
        message=exc.message,
        detail=exc.public_detail(expose_internal_errors=expose_internal_errors),
        field=exc.field,
        metadata=exc.metadata,
        request_id=request_id,
    )
