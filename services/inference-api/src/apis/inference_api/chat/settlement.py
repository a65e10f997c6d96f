"""Settlement: what a turn's model call costs, charged once, on every way out of the turn.

The charge is the model's usage report or, when none arrived (a failure or a
client that left mid-answer), an estimate from the text sent and generated
(``Charge.estimated``); a call that never reached the model, or generated
nothing, is not charged. Recording gives the quota reservation back.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apis.shared.errors import ApisError

if TYPE_CHECKING:
    from decimal import Decimal

    from apis.shared.metering import Charge, MeteredCall
    from apis.shared.quota import PricingSnapshot

__all__ = ["TurnSettlement"]

logger = logging.getLogger(__name__)


class TurnSettlement:
    def __init__(self, call: MeteredCall, *, user_id: str, session_id: str) -> None:
        self._call = call
        self._user_id = user_id
        self._session_id = session_id

    @property
    def pricing(self) -> PricingSnapshot:
        """The prices the call is charged at (the model's, whether or not anything is charged)."""
        return self._call.model.pricing

    def charge(self) -> Charge | None:
        """What the call costs so far; None when there is nothing to charge."""
        return self._call.charge()

    def record(self, *, message_id: int, timestamp: str | None = None) -> Decimal | None:
        """Record the charge against the answer's message; the cost recorded, None when nothing was.

        Raises:
            DependencyUnavailableError, DependencyTimeoutError, DependencyThrottledError: the
                cost could not be recorded (the reservation is given back all the same).
        """
        recorded = self._call.record(session_id=self._session_id, message_id=message_id, purpose="chat",
                                     timestamp=timestamp)  # fmt: skip
        return recorded.cost if recorded is not None else None

    def settle(self, *, message_id: int) -> None:
        """Record what is not recorded yet (a turn that failed or was left), and give the reservation back."""
        try:
            self._call.record(session_id=self._session_id, message_id=message_id, purpose="chat")
        except ApisError:
            # JUSTIFICATION: the turn is over and its client gone or told; the cost could not be
            # recorded (the reservation is given back all the same). Logged at ERROR with the
            # user and the session, to be reconciled.
            logger.exception("could not record the cost of a turn of user %s in session %s",
                             self._user_id, self._session_id)  # fmt: skip
