"""User file uploads: types and limits, the upload service with its quota, and the file resolver."""

from apis.shared.files.errors import (
    FileNotReadyError,
    FileNotUploadedError,
    FileQuotaExceededError,
    FileTooLargeError,
    InvalidFileTypeError,
    StoredFileTooLargeError,
    TooManyFilesError,
    UploadNotFoundError,
    UploadRefusedError,
)
from apis.shared.files.file_resolver import FileResolver
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
from apis.shared.files.objects import read_object_within, stored_object_size
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
    "FileNotUploadedError",
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
    "StoredFileTooLargeError",
    "TooManyFilesError",
    "UploadNotFoundError",
    "UploadRefusedError",
    "read_object_within",
    "resolve_mime_type",
    "stored_object_size",
]
