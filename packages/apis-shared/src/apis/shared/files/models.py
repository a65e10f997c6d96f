"""Uploaded files: allowed types, limits, stored metadata and the API bodies of the client contract."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import Field

from apis.shared.ids import SafeId
from apis.shared.schema import CamelModel

__all__ = [
    "ALLOWED_EXTENSIONS",
    "ALLOWED_MIME_TYPES",
    "CompleteUploadResponse",
    "FileLimits",
    "FileListResponse",
    "FileMetadata",
    "FileResponse",
    "FileStatus",
    "PresignRequest",
    "PresignResponse",
    "QuotaResponse",
    "ResolvedFileContent",
]

# MIME type → the format name Bedrock's content blocks use.
ALLOWED_MIME_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/plain": "txt",
    "text/html": "html",
    "text/csv": "csv",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/markdown": "md",
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
ALLOWED_EXTENSIONS: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain",
    "html": "text/html",
    "htm": "text/html",
    "csv": "text/csv",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
IMAGE_FORMATS = frozenset({"png", "jpeg", "gif", "webp"})


@dataclass(frozen=True)
class FileLimits:
    max_file_bytes: int = 4 * 1024 * 1024
    max_files_per_message: int = 5
    user_quota_bytes: int = 1024 * 1024 * 1024
    presign_ttl_seconds: int = 15 * 60


class FileStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class FileMetadata(CamelModel):
    upload_id: str
    user_id: str
    session_id: str
    filename: str
    mime_type: str
    size_bytes: int
    s3_key: str
    s3_bucket: str
    status: FileStatus = FileStatus.PENDING
    created_at: str
    updated_at: str

    @property
    def s3_uri(self) -> str:
        return f"s3://{self.s3_bucket}/{self.s3_key}"

    @property
    def file_format(self) -> str:
        return ALLOWED_MIME_TYPES.get(self.mime_type, "txt")


class PresignRequest(CamelModel):
    session_id: SafeId  # part of the S3 object key and of the files' index keys
    filename: str = Field(min_length=1, max_length=255)
    mime_type: str = Field(min_length=1, max_length=200)
    size_bytes: int = Field(gt=0)


class PresignResponse(CamelModel):
    upload_id: str
    presigned_url: str
    expires_at: str


class CompleteUploadResponse(CamelModel):
    upload_id: str
    status: FileStatus
    s3_uri: str
    filename: str
    size_bytes: int


class FileResponse(CamelModel):
    upload_id: str
    filename: str
    mime_type: str
    size_bytes: int
    session_id: str
    s3_uri: str
    status: FileStatus
    created_at: str

    @classmethod
    def from_metadata(cls, metadata: FileMetadata) -> FileResponse:
        return cls(
            upload_id=metadata.upload_id,
            filename=metadata.filename,
            mime_type=metadata.mime_type,
            size_bytes=metadata.size_bytes,
            session_id=metadata.session_id,
            s3_uri=metadata.s3_uri,
            status=metadata.status,
            created_at=metadata.created_at,
        )


class FileListResponse(CamelModel):
    files: list[FileResponse]
    next_cursor: str | None = None
    total_count: int | None = None


class QuotaResponse(CamelModel):
    used_bytes: int
    max_bytes: int
    file_count: int


@dataclass(frozen=True)
class ResolvedFileContent:
    """A ready file's content for a model call (``bytes`` is base64, as the inference request carries it)."""

    filename: str
    content_type: str
    bytes: str
