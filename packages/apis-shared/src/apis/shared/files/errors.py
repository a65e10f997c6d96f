"""Why a file operation was refused."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apis.shared.errors import BadRequestError, ConflictError, ErrorKind, NotFoundError, PermissionDeniedError

if TYPE_CHECKING:
    from apis.shared.errors import ErrorDetail

__all__ = [
    "FileNotReadyError",
    "FileNotUploadedError",
    "FileQuotaExceededError",
    "FileTooLargeError",
    "InvalidFileTypeError",
    "StoredFileTooLargeError",
    "TooManyFilesError",
    "UploadNotFoundError",
    "UploadRefusedError",
]


class InvalidFileTypeError(BadRequestError):
    default_message = "This file type is not allowed"


class FileTooLargeError(BadRequestError):
    """The declared size is over the limit (400: the web client matches "too large" in a 400's detail)."""

    default_message = "The file is too large"


class StoredFileTooLargeError(FileTooLargeError):
    """The object in storage is over the limit, whatever size was declared for it (413)."""

    kind = ErrorKind.PAYLOAD_TOO_LARGE


class TooManyFilesError(BadRequestError):
    default_message = "Too many files for one message"


class UploadNotFoundError(NotFoundError):
    """No such upload for this user (another user's upload is 'not found' too)."""

    default_message = "File not found"


class FileNotReadyError(ConflictError):
    default_message = "The file has not finished uploading"


class FileNotUploadedError(ConflictError):
    """Completion was asked for before the browser's PUT stored the object; completing again later works."""

    default_message = "The file has not been uploaded yet"


class UploadRefusedError(ConflictError):
    """The upload was refused at an earlier completion (too large, or over quota) and its object removed."""

    default_message = "This upload was refused; upload the file again"


class FileQuotaExceededError(PermissionDeniedError):
    """The upload would take the user over their storage quota."""

    kind = ErrorKind.STORAGE_QUOTA_EXCEEDED
    default_message = "File storage quota exceeded"

    def __init__(self, *, current_usage: int, max_allowed: int, required_space: int, **kwargs: Any) -> None:
        super().__init__(
            metadata={"currentUsage": current_usage, "maxAllowed": max_allowed, "requiredSpace": required_space},
            **kwargs,
        )
        self.current_usage = current_usage
        self.max_allowed = max_allowed
        self.required_space = required_space

    def response_body(self, detail: ErrorDetail) -> dict[str, Any]:
        """The flat body the web client recognises: it tests ``body.error === "QUOTA_EXCEEDED"``.

        The envelope's members (code, message, detail, requestId) sit beside it
        at the top level, so generic error handling still finds a message.
        """
        body = detail.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"metadata"})
        return {
            **body,
            "error": "QUOTA_EXCEEDED",
            "detail": detail.message,
            "currentUsage": self.current_usage,
            "maxAllowed": self.max_allowed,
            "requiredSpace": self.required_space,
        }
