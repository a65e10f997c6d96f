"""Turn a chat request's ``file_upload_ids`` into file contents for the model.

A missing, foreign or unfinished upload is an error the caller turns into a
4xx before streaming; it is never silently dropped. An S3 failure propagates.
No more than the file limit of an object is ever read (every chat turn resolves
its files again): an object larger than its completed upload or the limit is a 413.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from apis.shared.files.errors import FileNotReadyError, StoredFileTooLargeError, TooManyFilesError
from apis.shared.files.models import FileStatus, ResolvedFileContent
from apis.shared.files.objects import read_object_within

if TYPE_CHECKING:
    from apis.shared.files.service import FileUploadService

__all__ = ["FileResolver"]


class FileResolver:
    def __init__(self, files: FileUploadService, s3: Any) -> None:
        self._files = files
        self._s3 = s3

    def resolve_files(
        self, user_id: str, upload_ids: list[str], max_files: int | None = None
    ) -> list[ResolvedFileContent]:
        """The contents of the user's ready uploads, in request order."""
        limit = max_files if max_files is not None else self._files.limits.max_files_per_message
        unique = list(dict.fromkeys(upload_ids))
        if len(unique) > limit:
            raise TooManyFilesError(detail=f"{len(unique)} files attached; at most {limit}", field="file_upload_ids")
        return [self._resolve(user_id, upload_id) for upload_id in unique]

    def _resolve(self, user_id: str, upload_id: str) -> ResolvedFileContent:
        metadata = self._files.get_file(user_id, upload_id)
        if metadata.status is not FileStatus.READY:
            raise FileNotReadyError(detail=f"upload {upload_id} is {metadata.status.value}", field="file_upload_ids")
        max_bytes = self._files.limits.max_file_bytes
        if metadata.size_bytes > max_bytes:
            raise StoredFileTooLargeError(
                detail=f"upload {upload_id} is {metadata.size_bytes} bytes, at most {max_bytes}",
                field="file_upload_ids",
            )
        # The object may have been replaced since completion; it is read only up to its completed size.
        body = read_object_within(
            self._s3, bucket=metadata.s3_bucket, key=metadata.s3_key, max_bytes=metadata.size_bytes
        )
        return ResolvedFileContent(
            filename=metadata.filename, content_type=metadata.mime_type, bytes=base64.b64encode(body).decode()
        )
