"""File routes of the client contract. Another user's upload is always 'not found'."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from apis.app_api.dependencies import CurrentUser, FileUploadsDep, PathId
from apis.shared.files import (
    CompleteUploadResponse,
    FileListResponse,
    FileResponse,
    PresignRequest,
    PresignResponse,
    QuotaResponse,
)
from apis.shared.ids import SAFE_ID_MAX_LENGTH, SAFE_ID_PATTERN

__all__ = ["router"]

router = APIRouter(prefix="/files", tags=["files"])


@router.post("/presign", response_model=PresignResponse)
def presign_upload(body: PresignRequest, user: CurrentUser, uploads: FileUploadsDep) -> PresignResponse:
    """Record a pending upload and sign the browser's S3 PUT (type, size and storage quota checked first)."""
    return uploads.request_presigned_url(user.user_id, body)


@router.post("/{upload_id}/complete", response_model=CompleteUploadResponse)
def complete_upload(upload_id: PathId, user: CurrentUser, uploads: FileUploadsDep) -> CompleteUploadResponse:
    """Mark the upload ready once its object is in S3, adding it to the user's storage."""
    return uploads.complete_upload(user.user_id, upload_id)


@router.get("/quota", response_model=QuotaResponse)
def file_quota(user: CurrentUser, uploads: FileUploadsDep) -> QuotaResponse:
    return uploads.get_user_quota(user.user_id)


@router.get("", response_model=FileListResponse)
def list_files(
    user: CurrentUser,
    uploads: FileUploadsDep,
    session_id: Annotated[
        str | None, Query(alias="sessionId", pattern=SAFE_ID_PATTERN, max_length=SAFE_ID_MAX_LENGTH)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query()] = None,
    sort_by: Annotated[Literal["date", "size", "type"], Query(alias="sortBy")] = "date",
    sort_order: Annotated[Literal["asc", "desc"], Query(alias="sortOrder")] = "desc",
) -> FileListResponse:
    """Ready files: all of one session (oldest first), or a sorted page of all the user's files."""
    if session_id is not None:
        files = [FileResponse.from_metadata(f) for f in uploads.session_files(user.user_id, session_id)]
        return FileListResponse(files=files, next_cursor=None, total_count=len(files))
    return uploads.list_user_files(user.user_id, limit=limit, cursor=cursor, sort_by=sort_by, sort_order=sort_order)


@router.delete("/{upload_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_file(upload_id: PathId, user: CurrentUser, uploads: FileUploadsDep) -> Response:
    """Delete the object and the record, and give the bytes back to the user's storage quota."""
    uploads.delete_file(user.user_id, upload_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
