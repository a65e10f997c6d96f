"""Session routes of the client contract. Another user's session is always 'not found'."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response, status

from apis.app_api.dependencies import CurrentUser, FileUploadsDep, PathId, SessionsDep, SessionStoreDep
from apis.shared.errors import ApisError
from apis.shared.files import FileUploadService
from apis.shared.sessions import (
    BulkDeleteSessionsRequest,
    BulkDeleteSessionsResponse,
    MessagesListResponse,
    SessionMetadataResponse,
    SessionsListResponse,
    UpdateSessionMetadataRequest,
)

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/sessions", tags=["sessions"])


def delete_session_files(files: FileUploadService, user_id: str, session_id: str) -> None:
    """Cascade a session delete to its files, after the response."""
    try:
        deleted = files.delete_session_files(user_id, session_id)
    except ApisError:
        # JUSTIFICATION: the session is already deleted and the client answered;
        # a failed file cascade is logged with its traceback for a retry job and
        # must not turn the finished request into an error.
        logger.exception("could not delete the files of session %s", session_id)
    else:
        logger.info("deleted %d file(s) of session %s", deleted, session_id)


@router.get("", response_model=SessionsListResponse, response_model_exclude_none=True)
def list_sessions(
    user: CurrentUser,
    sessions: SessionsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    next_token: Annotated[str | None, Query()] = None,
) -> SessionsListResponse:
    """The caller's sessions, most recent message first; ``nextToken`` pages on."""
    return sessions.list(user.user_id, limit=limit, next_token=next_token)


@router.get("/{session_id}/metadata", response_model=SessionMetadataResponse, response_model_exclude_none=True)
def get_session_metadata(session_id: PathId, user: CurrentUser, sessions: SessionsDep) -> SessionMetadataResponse:
    return SessionMetadataResponse.from_metadata(sessions.get(session_id, user.user_id))


@router.put("/{session_id}/metadata", response_model=SessionMetadataResponse, response_model_exclude_none=True)
def put_session_metadata(
    session_id: PathId, body: UpdateSessionMetadataRequest, user: CurrentUser, sessions: SessionsDep
) -> SessionMetadataResponse:
    """Merge the sent fields into the session, creating it if needed."""
    return SessionMetadataResponse.from_metadata(sessions.update_metadata(session_id, user.user_id, body))


@router.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_session(
    session_id: PathId, user: CurrentUser, sessions: SessionsDep, uploads: FileUploadsDep, background: BackgroundTasks
) -> Response:
    """Soft-delete the session; its files are deleted in the background."""
    sessions.delete(session_id, user.user_id)
    background.add_task(delete_session_files, uploads, user.user_id, session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/bulk-delete", response_model=BulkDeleteSessionsResponse, response_model_exclude_none=True)
def bulk_delete_sessions(
    body: BulkDeleteSessionsRequest,
    user: CurrentUser,
    sessions: SessionsDep,
    uploads: FileUploadsDep,
    background: BackgroundTasks,
) -> BulkDeleteSessionsResponse:
    """Delete up to 20 sessions; each id gets its own result."""
    result = sessions.bulk_delete(body.session_ids, user.user_id)
    for outcome in result.results:
        if outcome.success:
            background.add_task(delete_session_files, uploads, user.user_id, outcome.session_id)
    return result


@router.get("/{session_id}/messages", response_model=MessagesListResponse, response_model_exclude_none=True)
def list_messages(
    session_id: PathId,
    user: CurrentUser,
    session_store: SessionStoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    next_token: Annotated[str | None, Query()] = None,
) -> MessagesListResponse:
    page = session_store.list_messages(session_id, user.user_id, limit=limit, next_token=next_token)
    return MessagesListResponse(messages=page.messages, next_token=page.next_token)
