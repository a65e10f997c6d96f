"""Uploads to S3 through presigned PUTs, their metadata in DynamoDB, and each user's storage quota.

Sizes are bound where the bytes are: the presigned PUT signs the declared
``Content-Length`` (S3 refuses a body of any other size), and completion
reads the stored object's size and deletes an object over the file limit or
the quota rather than trusting what was declared.

The quota is enforced where it is spent: completing an upload marks the file
ready and adds its size to the user's total in one transaction whose condition
keeps the total within the quota, so two uploads finishing at once cannot
both squeeze past the limit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apis.shared.aws import from_item, plain, to_item, translate_aws_errors
from apis.shared.errors import BadRequestError, ConflictError
from apis.shared.files.errors import (
    FileNotUploadedError,
    FileQuotaExceededError,
    FileTooLargeError,
    InvalidFileTypeError,
    StoredFileTooLargeError,
    UploadNotFoundError,
    UploadRefusedError,
)
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
)
from apis.shared.files.objects import stored_object_size
from apis.shared.files.table import SESSION_INDEX
from apis.shared.pagination import decode_offset_cursor, encode_offset_cursor
from apis.shared.timestamps import format_utc, parse_utc

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["FileUploadService", "resolve_mime_type", "safe_filename"]

_RECORD_TTL = timedelta(days=365)
_SORT_KEYS: dict[str, Callable[[FileMetadata], Any]] = {
    "date": lambda f: f.created_at,
    "size": lambda f: f.size_bytes,
    "type": lambda f: (f.mime_type, f.created_at),
}


class _CompletionConditionFailed(ConflictError):
    """A completion's conditional write found the upload or the quota changed."""


def resolve_mime_type(filename: str, mime_type: str) -> str:
    """The allowed MIME type of an upload, by its declared type and then its extension; else 400."""
    if mime_type in ALLOWED_MIME_TYPES:
        return mime_type
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if extension in ALLOWED_EXTENSIONS:
        return ALLOWED_EXTENSIONS[extension]
    raise InvalidFileTypeError(detail=f"file type {mime_type or extension!r} is not allowed", field="mimeType")


def safe_filename(name: str) -> str:
    """The last component of a browser-supplied name, without control characters (it becomes an S3 key)."""
    last = name.replace("\\", "/").rpartition("/")[2]
    cleaned = "".join(char for char in last if char.isprintable()).strip()
    return cleaned if cleaned not in ("", ".", "..") else "file"


def _now() -> datetime:
    return datetime.now(tz=UTC)


class FileUploadService:
    def __init__(
        self,
        dynamodb: DynamoDBClient,
        s3: Any,
        *,
        table_name: str,
        bucket: str,
        limits: FileLimits | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._dynamodb = dynamodb
        self._s3 = s3
        self._table = table_name
        self._bucket = bucket
        self.limits = limits or FileLimits()
        self._clock = clock

    # ------------------------------------------------------------------ metadata

    def _key(self, user_id: str, upload_id: str) -> dict[str, Any]:
        return to_item({"PK": f"USER#{user_id}", "SK": f"FILE#{upload_id}"})

    def _item(self, metadata: FileMetadata) -> dict[str, Any]:
        created = parse_utc(metadata.created_at)
        return to_item(
            {
                "PK": f"USER#{metadata.user_id}",
                "SK": f"FILE#{metadata.upload_id}",
                "GSI1PK": f"CONV#{metadata.session_id}",
                "GSI1SK": f"FILE#{metadata.upload_id}",
                "ttl": int((created + _RECORD_TTL).timestamp()),
                **metadata.model_dump(by_alias=True, mode="json"),
            }
        )

    @staticmethod
    def _metadata(item: dict[str, Any]) -> FileMetadata:
        values = plain(from_item(item))
        return FileMetadata.model_validate(
            {k: v for k, v in values.items() if k not in ("PK", "SK", "GSI1PK", "GSI1SK", "ttl")}
        )

    def get_file(self, user_id: str, upload_id: str) -> FileMetadata:
        """The user's upload; ``UploadNotFoundError`` if missing or someone else's."""
        with translate_aws_errors("user-files: get_item"):
            response = self._dynamodb.get_item(
                TableName=self._table, Key=self._key(user_id, upload_id), ConsistentRead=True
            )
        item = response.get("Item")
        if not item:
            raise UploadNotFoundError(field="uploadId")
        return self._metadata(item)

    def get_user_quota(self, user_id: str) -> QuotaResponse:
        with translate_aws_errors("user-files: get_item (quota)"):
            response = self._dynamodb.get_item(
                TableName=self._table, Key=to_item({"PK": f"USER#{user_id}", "SK": "QUOTA"}), ConsistentRead=True
            )
        values = plain(from_item(response.get("Item", {})))
        return QuotaResponse(
            used_bytes=int(values.get("totalBytes", 0)),
            max_bytes=self.limits.user_quota_bytes,
            file_count=int(values.get("fileCount", 0)),
        )

    # ------------------------------------------------------------------ upload flow

    def request_presigned_url(self, user_id: str, request: PresignRequest) -> PresignResponse:
        """Check type, size and quota, record the pending upload, and sign a PUT of exactly the declared size."""
        mime_type = resolve_mime_type(request.filename, request.mime_type)
        if request.size_bytes > self.limits.max_file_bytes:
            raise FileTooLargeError(
                detail=f"file too large: {request.size_bytes} bytes, at most {self.limits.max_file_bytes}",
                field="sizeBytes",
            )
        quota = self.get_user_quota(user_id)
        if quota.used_bytes + request.size_bytes > quota.max_bytes:
            raise FileQuotaExceededError(
                current_usage=quota.used_bytes, max_allowed=quota.max_bytes, required_space=request.size_bytes
            )
        now = self._clock()
        upload_id = f"{int(now.timestamp() * 1000):x}_{uuid.uuid4().hex[:16]}"
        key = f"user-files/{user_id}/{request.session_id}/{upload_id}/{safe_filename(request.filename)}"
        metadata = FileMetadata(
            upload_id=upload_id,
            user_id=user_id,
            session_id=request.session_id,
            filename=safe_filename(request.filename),
            mime_type=mime_type,
            size_bytes=request.size_bytes,
            s3_key=key,
            s3_bucket=self._bucket,
            created_at=format_utc(now, timespec="milliseconds"),
            updated_at=format_utc(now, timespec="milliseconds"),
        )
        with translate_aws_errors("user-files: put_item (pending upload)"):
            self._dynamodb.put_item(
                TableName=self._table, Item=self._item(metadata), ConditionExpression="attribute_not_exists(PK)"
            )
        with translate_aws_errors("s3: generate_presigned_url"):
            url = self._s3.generate_presigned_url(
                "put_object",
                Params={
                    "Bucket": self._bucket,
                    "Key": key,
                    "ContentType": mime_type,
                    "ContentLength": request.size_bytes,
                },
                ExpiresIn=self.limits.presign_ttl_seconds,
            )
        expires = now + timedelta(seconds=self.limits.presign_ttl_seconds)
        return PresignResponse(
            upload_id=upload_id, presigned_url=url, expires_at=format_utc(expires, timespec="milliseconds")
        )

    def complete_upload(self, user_id: str, upload_id: str) -> CompleteUploadResponse:
        """Mark an uploaded file ready and count its stored size against the quota.

        The size is the stored object's, not the declared one: an object over
        the file limit, or that cannot fit in the quota, is deleted and the
        upload marked failed (413, or the quota body). Completing before the
        object is stored is a 409 that leaves the upload pending; completing a
        ready file again answers as the first time.
        """
        metadata = self.get_file(user_id, upload_id)
        if metadata.status is not FileStatus.PENDING:
            return self._settled(metadata)
        size = stored_object_size(self._s3, bucket=metadata.s3_bucket, key=metadata.s3_key)
        if size is None:
            raise FileNotUploadedError(
                detail=f"nothing is stored for upload {upload_id} yet: PUT the file to its presigned URL first",
                field="uploadId",
            )
        if size > self.limits.max_file_bytes:
            if not self._refuse(metadata, size):
                return self._settled(self.get_file(user_id, upload_id))
            raise StoredFileTooLargeError(
                detail=f"file too large: {size} bytes stored, at most {self.limits.max_file_bytes}", field="uploadId"
            )
        if size > self.limits.user_quota_bytes:
            return self._refuse_over_quota(metadata, size)
        ready = metadata.model_copy(
            update={
                "status": FileStatus.READY,
                "size_bytes": size,
                "updated_at": format_utc(self._clock(), timespec="milliseconds"),
            }
        )
        writes: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._item(ready),
                    "ConditionExpression": "#status = :pending",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": to_item({":pending": FileStatus.PENDING.value}),
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": to_item({"PK": f"USER#{user_id}", "SK": "QUOTA"}),
                    "UpdateExpression": "ADD totalBytes :size, fileCount :one SET updatedAt = :now",
                    # With no usage item yet the file alone must fit, which the check above made sure of.
                    "ConditionExpression": "attribute_not_exists(totalBytes) OR totalBytes <= :room",
                    "ExpressionAttributeValues": to_item(
                        {
                            ":size": size,
                            ":one": 1,
                            ":now": ready.updated_at,
                            ":room": self.limits.user_quota_bytes - size,
                        }
                    ),
                }
            },
        ]
        try:
            with translate_aws_errors(
                "user-files: transact_write_items (complete)", on_condition_failed=_CompletionConditionFailed
            ):
                self._dynamodb.transact_write_items(TransactItems=writes)
        except _CompletionConditionFailed:
            # JUSTIFICATION: not a suppression: a failed condition is either another
            # completion of this upload that finished first (its outcome is answered)
            # or a full quota (refused below with the client's quota body).
            current = self.get_file(user_id, upload_id)
            if current.status is not FileStatus.PENDING:
                return self._settled(current)
            return self._refuse_over_quota(current, size)
        return self._completed(ready)

    def _settled(self, metadata: FileMetadata) -> CompleteUploadResponse:
        """The answer for an upload an earlier completion settled: its result, or that it was refused."""
        if metadata.status is FileStatus.READY:
            return self._completed(metadata)
        raise UploadRefusedError(
            detail=f"upload {metadata.upload_id} was refused when it was completed and its file removed",
            field="uploadId",
        )

    def _refuse_over_quota(self, metadata: FileMetadata, size: int) -> CompleteUploadResponse:
        if not self._refuse(metadata, size):
            return self._settled(self.get_file(metadata.user_id, metadata.upload_id))
        current = self.get_user_quota(metadata.user_id)
        raise FileQuotaExceededError(
            current_usage=current.used_bytes, max_allowed=current.max_bytes, required_space=size
        )

    def _refuse(self, metadata: FileMetadata, size: int) -> bool:
        """Mark a pending upload failed and delete its object; False if another completion settled it first."""
        try:
            with translate_aws_errors(
                "user-files: update_item (refuse)", on_condition_failed=_CompletionConditionFailed
            ):
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key=self._key(metadata.user_id, metadata.upload_id),
                    UpdateExpression="SET #status = :failed, sizeBytes = :size, updatedAt = :now",
                    ConditionExpression="#status = :pending",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues=to_item(
                        {
                            ":failed": FileStatus.FAILED.value,
                            ":pending": FileStatus.PENDING.value,
                            ":size": size,
                            ":now": format_utc(self._clock(), timespec="milliseconds"),
                        }
                    ),
                )
        except _CompletionConditionFailed:
            # JUSTIFICATION: the upload is no longer pending: a concurrent completion
            # settled it, and the caller answers with that outcome instead.
            return False
        with translate_aws_errors("s3: delete_object (refused upload)"):
            self._s3.delete_object(Bucket=metadata.s3_bucket, Key=metadata.s3_key)
        return True

    @staticmethod
    def _completed(metadata: FileMetadata) -> CompleteUploadResponse:
        return CompleteUploadResponse(
            upload_id=metadata.upload_id,
            status=metadata.status,
            s3_uri=metadata.s3_uri,
            filename=metadata.filename,
            size_bytes=metadata.size_bytes,
        )

    def delete_file(self, user_id: str, upload_id: str) -> None:
        """Delete the object and its metadata, giving back its quota if it counted."""
        metadata = self.get_file(user_id, upload_id)
        with translate_aws_errors("s3: delete_object"):
            self._s3.delete_object(Bucket=metadata.s3_bucket, Key=metadata.s3_key)
        writes: list[Any] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": self._key(user_id, upload_id),
                    "ConditionExpression": "#status = :status",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": to_item({":status": metadata.status.value}),
                }
            }
        ]
        if metadata.status is FileStatus.READY:
            writes.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": to_item({"PK": f"USER#{user_id}", "SK": "QUOTA"}),
                        "UpdateExpression": "ADD totalBytes :size, fileCount :one",
                        "ExpressionAttributeValues": to_item({":size": -metadata.size_bytes, ":one": -1}),
                    }
                }
            )
        with translate_aws_errors("user-files: transact_write_items (delete)", on_condition_failed=UploadNotFoundError):
            self._dynamodb.transact_write_items(TransactItems=writes)

    # ------------------------------------------------------------------ listings

    def session_files(self, user_id: str, session_id: str) -> list[FileMetadata]:
        """The user's ready files of a session, oldest first."""
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": SESSION_INDEX,
            "KeyConditionExpression": "GSI1PK = :session",
            "ExpressionAttributeValues": to_item({":session": f"CONV#{session_id}"}),
        }
        while True:
            with translate_aws_errors(f"user-files: query {SESSION_INDEX}"):
                response = self._dynamodb.query(**request)
            items += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        files = [self._metadata(item) for item in items]
        return sorted(
            (f for f in files if f.user_id == user_id and f.status is FileStatus.READY), key=lambda f: f.created_at
        )

    def delete_session_files(self, user_id: str, session_id: str) -> int:
        """Delete every file of a session (the cascade of a session delete); return how many."""
        files = self.session_files(user_id, session_id)
        for metadata in files:
            self.delete_file(user_id, metadata.upload_id)
        return len(files)

    def list_user_files(
        self,
        user_id: str,
        *,
        limit: int = 50,
        cursor: str | None = None,
        sort_by: str = "date",
        sort_order: str = "desc",
    ) -> FileListResponse:
        """All the user's ready files, sorted, a page at a time (``cursor`` is an offset token)."""
        if sort_by not in _SORT_KEYS:
            raise BadRequestError(f"sortBy must be one of {', '.join(_SORT_KEYS)}", field="sortBy")
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :user AND begins_with(SK, :file)",
            "ExpressionAttributeValues": to_item({":user": f"USER#{user_id}", ":file": "FILE#"}),
        }
        while True:
            with translate_aws_errors("user-files: query (list)"):
                response = self._dynamodb.query(**request)
            items += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        files = [f for f in map(self._metadata, items) if f.status is FileStatus.READY]
        files.sort(key=_SORT_KEYS[sort_by], reverse=sort_order != "asc")
        scope = f"files#USER#{user_id}"
        offset = decode_offset_cursor(cursor, scope=scope, field="cursor")
        page = files[offset : offset + max(1, min(limit, 1000))]
        next_offset = offset + len(page)
        next_cursor = encode_offset_cursor(next_offset, scope=scope) if next_offset < len(files) else None
        return FileListResponse(
            files=[FileResponse.from_metadata(f) for f in page], next_cursor=next_cursor, total_count=len(files)
        )
