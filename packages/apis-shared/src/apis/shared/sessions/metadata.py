"""The seed's session-metadata functions, as awaitables over an explicit store.

They run the blocking DynamoDB calls in a worker thread, so async routes can
await them without stalling the event loop. Failures propagate as typed errors.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apis.shared.sessions.models import SessionMetadata
    from apis.shared.sessions.store import SessionStore

__all__ = ["get_session_metadata", "list_user_sessions", "store_session_metadata"]


async def store_session_metadata(
    session_id: str, user_id: str, session_metadata: SessionMetadata, *, store: SessionStore
) -> None:
    """Create the session, or replace its stored fields with ``session_metadata``'s."""
    if session_metadata.session_id != session_id or session_metadata.user_id != user_id:
        raise ValueError("session_metadata must describe the session being stored")

    def write() -> None:
        if store.get(session_id, user_id) is None:
            store.create(session_metadata)
        else:
            store.update(session_id, user_id, lambda current: session_metadata)

    await asyncio.to_thread(write)


async def get_session_metadata(session_id: str, user_id: str, *, store: SessionStore) -> SessionMetadata | None:
    """The user's session, or None (also for another user's session)."""
    return await asyncio.to_thread(store.get, session_id, user_id)


async def list_user_sessions(
    user_id: str, limit: int | None = None, next_token: str | None = None, *, store: SessionStore
) -> tuple[list[SessionMetadata], str | None]:
    """One page of the user's sessions, newest first, and the token of the next page."""
    page = await asyncio.to_thread(store.list_sessions, user_id, limit=limit or 50, next_token=next_token)
    return page.sessions, page.next_token
