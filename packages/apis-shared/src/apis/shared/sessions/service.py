"""Session operations of the client contract: create-on-put with merge, soft delete, bulk delete, listing."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apis.shared.errors import ConflictError
from apis.shared.sessions.models import (
    BulkDeleteSessionResult,
    BulkDeleteSessionsResponse,
    SessionMetadata,
    SessionMetadataResponse,
    SessionPreferences,
    SessionsListResponse,
    SessionStatus,
    UpdateSessionMetadataRequest,
)
from apis.shared.sessions.store import SessionNotFoundError
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from apis.shared.sessions.store import SessionStore

__all__ = ["DEFAULT_TITLE", "SessionService"]

logger = logging.getLogger(__name__)

DEFAULT_TITLE = "New Conversation"


def _merged(current: SessionMetadata, request: UpdateSessionMetadataRequest) -> SessionMetadata:
    changes = {
        name: value for name in ("title", "status", "starred", "tags") if (value := getattr(request, name)) is not None
    }
    preference_changes = request.preference_changes()
    if preference_changes:
        base = current.preferences.model_dump(by_alias=False) if current.preferences else {}
        changes["preferences"] = SessionPreferences.model_validate({**base, **preference_changes})
    return current.model_copy(update=changes)


class SessionService:
    def __init__(self, store: SessionStore) -> None:
        self._store = store

    def get(self, session_id: str, user_id: str) -> SessionMetadata:
        """The user's session; ``SessionNotFoundError`` (404) if missing, deleted or someone else's."""
        return self._store.get_or_raise(session_id, user_id)

    def update_metadata(self, session_id: str, user_id: str, request: UpdateSessionMetadataRequest) -> SessionMetadata:
        """Merge the sent fields into the session, creating it first if it does not exist."""
        if request.status is SessionStatus.DELETED:
            self.delete(session_id, user_id)
            return self._store.get_or_raise(session_id, user_id, include_deleted=True)
        existing = self._store.get(session_id, user_id)
        if existing is not None and existing.status is SessionStatus.DELETED:
            raise SessionNotFoundError(field="sessionId")
        if existing is None:
            now = utc_timestamp()
            fresh = SessionMetadata(
                session_id=session_id, user_id=user_id, title=DEFAULT_TITLE, created_at=now, last_message_at=now
            )
            try:
                return self._store.create(_merged(fresh, request))
            except ConflictError:
                # JUSTIFICATION: the first message and this PUT raced to create it; the session
                # exists, as wanted, so this merges into theirs below.
                logger.info("session %s was created concurrently; merging into it", session_id)
        return self._store.update(session_id, user_id, lambda current: _merged(current, request))

    def ensure(self, session_id: str, user_id: str, *, title: str = DEFAULT_TITLE) -> SessionMetadata:
        """The session, created empty if it does not exist yet (the client creates sessions by chatting)."""
        existing = self._store.get(session_id, user_id)
        if existing is not None:
            if existing.status is SessionStatus.DELETED:
                raise SessionNotFoundError(field="sessionId")
            return existing
        now = utc_timestamp()
        fresh = SessionMetadata(
            session_id=session_id, user_id=user_id, title=title, created_at=now, last_message_at=now
        )
        try:
            return self._store.create(fresh)
        except ConflictError:
            # JUSTIFICATION: created concurrently by another request; it exists, as wanted.
            return self._store.get_or_raise(session_id, user_id)

    def delete(self, session_id: str, user_id: str) -> SessionMetadata:
        return self._store.soft_delete(session_id, user_id)

    def bulk_delete(self, session_ids: list[str], user_id: str) -> BulkDeleteSessionsResponse:
        """Delete each session; a missing one is a per-id failure, a storage failure stops the whole call."""
        results = []
        for session_id in dict.fromkeys(session_ids):
            try:
                self.delete(session_id, user_id)
            except SessionNotFoundError as exc:
                # JUSTIFICATION: a missing session is that id's result (success false), not the call's.
                results.append(BulkDeleteSessionResult(session_id=session_id, success=False, error=exc.message))
            else:
                results.append(BulkDeleteSessionResult(session_id=session_id, success=True))
        deleted = sum(result.success for result in results)
        return BulkDeleteSessionsResponse(deleted_count=deleted, failed_count=len(results) - deleted, results=results)

    def list(self, user_id: str, *, limit: int = 50, next_token: str | None = None) -> SessionsListResponse:
        page = self._store.list_sessions(user_id, limit=limit, next_token=next_token)
        return SessionsListResponse(
            sessions=[SessionMetadataResponse.from_metadata(m) for m in page.sessions], next_token=page.next_token
        )
