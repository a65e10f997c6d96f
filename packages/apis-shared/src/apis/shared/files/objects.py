"""Read an uploaded object from S3 without ever holding more than a limit of it.

A presigned upload can leave any size of object behind its key, so the size
S3 reports is checked before the body is read, and the read itself stops one
byte past the limit: a stored object cannot make a reader allocate more than
the limit, whatever was declared or recorded for it.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from apis.shared.aws import client_error_code, translate_aws_errors
from apis.shared.files.errors import FileNotUploadedError, StoredFileTooLargeError

__all__ = ["MISSING_OBJECT_CODES", "read_object_within", "stored_object_size"]

MISSING_OBJECT_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def stored_object_size(s3: Any, *, bucket: str, key: str) -> int | None:
    """The object's size from ``HeadObject``, or None when nothing is stored at ``key``."""
    with translate_aws_errors("s3: head_object"):
        try:
            response = s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if client_error_code(exc) in MISSING_OBJECT_CODES:
                return None
            raise
    return int(response["ContentLength"])


def read_object_within(s3: Any, *, bucket: str, key: str, max_bytes: int) -> bytes:
    """The object's bytes, at most ``max_bytes`` of them.

    ``StoredFileTooLargeError`` (413) when S3 reports a larger object, before
    any of it is read, or when the body turns out longer than it said;
    ``FileNotUploadedError`` (409) when nothing is stored at ``key``.
    """
    with translate_aws_errors("s3: get_object"):
        try:
            response = s3.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if client_error_code(exc) in MISSING_OBJECT_CODES:
                raise FileNotUploadedError(detail=f"nothing is stored at {key}") from exc
            raise
    body = response["Body"]
    try:
        size = int(response.get("ContentLength", 0))
        if size > max_bytes:
            raise StoredFileTooLargeError(detail=f"file too large: {size} bytes stored, at most {max_bytes}")
        with translate_aws_errors("s3: get_object (body)"):
            data: bytes = body.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise StoredFileTooLargeError(detail=f"file too large: more than {max_bytes} bytes stored")
        return data
    finally:
        body.close()
