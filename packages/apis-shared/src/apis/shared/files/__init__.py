"""User file uploads: types and limits, the upload service with its quota, and the file resolver."""

from apis.shared.files.errors import (
    FileNotReadyError,
    FileQuotaExceededError,
    FileTooLargeError,
    InvalidFileTypeError,
    TooManyFilesError,
    UploadNotFoundError,
)
from apis.shared.files.file_resolver import FileResolver, get_file_resolver
from apis.shared.files.models import (
    ALLOWED_EXTENSIONS,
    ALLOWED_MIME_TYPES,
    CompleteUploadResponse,
    FileLimits,
    FileListResponse,
    FileMetadata,
    FileResponse,
    FileStatus,
    PresignRequest,
    PresignResponse,
    QuotaResponse,
    ResolvedFileContent,
)
from apis.shared.files.service import FileUploadService, resolve_mime_type
from apis.shared.files.table import USER_FILES_TABLE

__all__ = [
    "ALLOWED_EXTENSIONS",
    "ALLOWED_MIME_TYPES",
    "USER_FILES_TABLE",
    "CompleteUploadResponse",
    "FileLimits",
    "FileListResponse",
    "FileMetadata",
    "FileNotReadyError",
    "FileQuotaExceededError",
    "FileResolver",
    "FileResponse",
    "FileStatus",
    "FileTooLargeError",
    "FileUploadService",
    "InvalidFileTypeError",
    "PresignRequest",
    "PresignResponse",
    "QuotaResponse",
    "ResolvedFileContent",
    "TooManyFilesError",
    "UploadNotFoundError",
    "get_file_resolver",
    "resolve_mime_type",
]
