"""The session's turn lease: one turn of a session is answered at a time.

A turn that arrives while another is being answered is refused with 409 rather
than queued. The client never sends two turns of one conversation at once (its
input is disabled while a reply streams), so a second one is a retry or a
misbehaving caller; queueing it would hold a connection and a worker thread for
the length of another answer, and then answer a question against a history its
sender never saw.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from apis.shared.errors import ApisError

if TYPE_CHECKING:
    from collections.abc import Callable

    from apis.shared.sessions import SessionStore

__all__ = ["TurnLease", "TurnLeases"]

logger = logging.getLogger(__name__)


class TurnLease:
    """A lease taken for one turn: renewed while its answer streams, given back on every way out."""

    def __init__(
        self,
        store: SessionStore,
        *,
        session_id: str,
        user_id: str,
        turn_id: str,
        lease_seconds: float,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self.session_id = session_id
        self.user_id = user_id
        self.turn_id = turn_id
        self._lease_seconds = lease_seconds
        self._clock = clock
        self._renewed_at = clock()

    def renew_if_due(self) -> None:
        """Extend the lease when a third of its length has passed since it was last taken or renewed."""
        now = self._clock()
        if now - self._renewed_at < self._lease_seconds / 3:
            return
        self._renewed_at = now
        try:
            kept = self._store.renew_turn(self.session_id, self.user_id, self.turn_id,
                                          lease_seconds=self._lease_seconds)  # fmt: skip
        except ApisError:
            # JUSTIFICATION: the lease only keeps other turns of this session out; the answer
            # in progress matters more. A later frame tries again; logged.
            logger.warning("could not renew the turn lease of session %s", self.session_id, exc_info=True)
            return
        if not kept:
            logger.warning("the turn lease of session %s expired while its answer streamed", self.session_id)

    def end(self) -> None:
        """Give the lease back."""
        try:
            self._store.end_turn(self.session_id, self.user_id, self.turn_id)
        except ApisError:
            # JUSTIFICATION: a lease that cannot be given back expires on its own after
            # turn_lease_seconds; until then the session refuses new turns (409). Logged.
            logger.exception("could not end the turn of session %s", self.session_id)


class TurnLeases:
    """Takes the turn lease of a session for ``lease_seconds``."""

    def __init__(
        self, store: SessionStore, *, lease_seconds: float = 120.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._lease_seconds = lease_seconds
        self._clock = clock

    def take(self, session_id: str, user_id: str) -> TurnLease:
        """The session's lease for a new turn.

        Raises:
            TurnInProgressError: another turn of this session is being answered (409).
        """
        turn_id = self._store.begin_turn(session_id, user_id, lease_seconds=self._lease_seconds)
        return TurnLease(self._store, session_id=session_id, user_id=user_id, turn_id=turn_id,
                         lease_seconds=self._lease_seconds, clock=self._clock)  # fmt: skip
