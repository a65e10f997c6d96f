"""Reading a session's metadata as an awaitable over an explicit store.

It runs the blocking DynamoDB call in a worker thread, so async routes can
await them without stalling the event loop. Failures propagate as typed errors.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apis.shared.sessions.models import SessionMetadata
    from apis.shared.sessions.store import SessionStore

__all__ = ["get_session_metadata"]


async def get_session_metadata(session_id: str, user_id: str, *, store: SessionStore) -> SessionMetadata | None:
    """The user's session, or None (also for another user's session)."""
    return await asyncio.to_thread(store.get, session_id, user_id)
