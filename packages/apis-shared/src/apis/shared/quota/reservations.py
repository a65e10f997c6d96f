"""Quota reservations: a model call in flight holds a bound of its cost against the user's quota.

Without them the quota check is read-then-spend: N parallel calls of one user
all read the same usage, all pass, and together spend N times what was left.
With them, admitting a call is one conditional update of the user's summary
item of the quota's period (``PK = USER#<id>``, ``SK = PERIOD#<period>``, the
item the cost records add to) that ``ADD``s the call's bound to
``reservedCost``, on the condition that

- ``totalCost`` is still the usage read just before (a cost recorded meanwhile
  fails the condition, and the decision is taken again on a fresh read), and
- ``reservedCost`` is below ``limit - usage``: other calls in flight leave room.

DynamoDB conditions cannot add two attributes, so the usage is pinned by
equality and the room is compared against the live reservations, which only
``ADD`` ever changes. A call is admitted while usage plus reservations is below
the limit, as a single call is admitted while usage is: parallel calls together
spend at most what was left plus the bound of the last one admitted.

Each reservation is also an attribute of its own (``reservation_<id>``: amount
and expiry), so that releasing it is exact and idempotent (``REMOVE`` it and
subtract its amount, on the condition that it is still there), and so that a
reservation whose process died is reclaimed the same way by the next admission
of that user once it has expired.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any

from apis.shared.aws import DependencyThrottledError, from_item, to_item, translate_aws_errors
from apis.shared.errors import ConflictError

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "DEFAULT_RESERVATION_SECONDS",
    "RESERVATION_PREFIX",
    "QuotaReservation",
    "QuotaReservationRepository",
    "ReservationOutcome",
]

logger = logging.getLogger(__name__)

# Longer than any model call (a turn's stream is bounded by the model's own limits);
# a reservation left behind by a process that died stops counting after this.
DEFAULT_RESERVATION_SECONDS = 900
RESERVATION_PREFIX = "reservation_"
_RESERVED = "reservedCost"
_ATTEMPTS = 12
# The unit costs are recorded in (cost_models: millionths of a dollar).
_HELD_PRECISION = Decimal("0.000001")


class _ConditionFailedError(ConflictError):
    """The usage, the reservations or the reservation changed between the read and the write."""


@dataclass(frozen=True)
class QuotaReservation:
    """One admitted call's hold on the quota of ``period``."""

    user_id: str
    period: str
    reservation_id: str
    amount: Decimal


@dataclass(frozen=True)
class ReservationOutcome:
    """What an admission saw: the period's recorded usage, the other calls' reservations, and its own.

    ``reservation`` is None when there was no room (usage plus reservations at or above the limit).
    """

    usage: Decimal
    reserved: Decimal
    reservation: QuotaReservation | None


class QuotaReservationRepository:
    """Reservations on the cost-summary table. Failures propagate as the platform's dependency errors."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        reservation_seconds: int = DEFAULT_RESERVATION_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table_name
        self._seconds = reservation_seconds
        self._clock = clock
        self._sleep = sleep

    def reserve(self, user_id: str, period: str, *, limit: Decimal, amount: Decimal) -> ReservationOutcome:
        """Hold ``amount`` of ``user_id``'s quota of ``period`` if usage plus reservations is below ``limit``.

        Raises:
            DependencyThrottledError: the item kept changing under us (or DynamoDB throttled).
            DependencyUnavailableError, DependencyTimeoutError, DependencyAccessDeniedError: DynamoDB failed.
        """
        # Held in the costs' own unit, rounded up so that a bound stays a bound. A finer amount
        # would also leave sums such as 0E-9 behind, which the embedded endpoint (moto) cannot add to.
        held = amount.quantize(_HELD_PRECISION, rounding=ROUND_CEILING)
        reservation = QuotaReservation(user_id, period, uuid.uuid4().hex, held)
        for attempt in range(1, _ATTEMPTS + 1):
            usage, reserved, has_usage = self._read_and_reclaim(user_id, period)
            if usage + reserved >= limit:
                return ReservationOutcome(usage, reserved, None)
            try:
                self._hold(reservation, usage=usage, has_usage=has_usage, room=limit - usage)
            except _ConditionFailedError:
                # JUSTIFICATION: a cost was recorded or another call took the room meanwhile;
                # the decision is taken again on a fresh read (bounded, then raised below).
                self._sleep(random.uniform(0.002, 0.01) * attempt)
                continue
            return ReservationOutcome(usage, reserved, reservation)
        raise DependencyThrottledError(detail=f"quota reservation of user {user_id} kept colliding")

    def release(self, reservation: QuotaReservation) -> bool:
        """Give the hold back; False when it was already released (or reclaimed after expiring)."""
        return self._drop(reservation.user_id, reservation.period, reservation.reservation_id, reservation.amount)

    def reserved(self, user_id: str, period: str) -> Decimal:
        """The sum of the reservations held now (expired ones included until an admission reclaims them)."""
        return Decimal(self._item(user_id, period).get(_RESERVED, 0))

    # ------------------------------------------------------------------ internals

    def _key(self, user_id: str, period: str) -> dict[str, Any]:
        return to_item({"PK": f"USER#{user_id}", "SK": f"PERIOD#{period}"})

    def _item(self, user_id: str, period: str) -> dict[str, Any]:
        with translate_aws_errors("cost-summary: get_item (reservations)"):
            response = self._client.get_item(TableName=self._table, Key=self._key(user_id, period), ConsistentRead=True)
        return from_item(response.get("Item", {}))

    def _read_and_reclaim(self, user_id: str, period: str) -> tuple[Decimal, Decimal, bool]:
        """Usage, live reservations (expired ones reclaimed first), and whether the item has a usage yet."""
        values = self._item(user_id, period)
        now = self._clock()
        reserved = Decimal(values.get(_RESERVED, 0))
        for name, entry in values.items():
            if name.startswith(RESERVATION_PREFIX) and int(entry["expiresAt"]) <= now:
                amount = Decimal(entry["amount"])
                if self._drop(user_id, period, name.removeprefix(RESERVATION_PREFIX), amount):
                    logger.warning("reclaimed an expired quota reservation of user %s (%s)", user_id, amount)
                reserved -= amount
        return Decimal(values.get("totalCost", 0)), max(reserved, Decimal(0)), "totalCost" in values

    def _hold(self, reservation: QuotaReservation, *, usage: Decimal, has_usage: bool, room: Decimal) -> None:
        usage_unchanged = "totalCost = :usage" if has_usage else "attribute_not_exists(totalCost)"
        values: dict[str, Any] = {
            ":amount": reservation.amount,
            ":room": room,
            ":entry": {"amount": reservation.amount, "expiresAt": int(self._clock()) + self._seconds},
            ":user": reservation.user_id,
            ":period": reservation.period,
        }
        if has_usage:
            values[":usage"] = usage
        with translate_aws_errors("cost-summary: update_item (reserve)", on_condition_failed=_ConditionFailedError):
            self._client.update_item(
                TableName=self._table,
                Key=self._key(reservation.user_id, reservation.period),
                UpdateExpression=(
                    "ADD reservedCost :amount SET #reservation = :entry, "
                    "userId = if_not_exists(userId, :user), period = if_not_exists(period, :period)"
                ),
                ConditionExpression=(
                    f"{usage_unchanged} AND (attribute_not_exists(reservedCost) OR reservedCost < :room)"
                ),
                ExpressionAttributeNames={"#reservation": RESERVATION_PREFIX + reservation.reservation_id},
                ExpressionAttributeValues=to_item(values),
            )

    def _drop(self, user_id: str, period: str, reservation_id: str, amount: Decimal) -> bool:
        try:
            with translate_aws_errors("cost-summary: update_item (release)", on_condition_failed=_ConditionFailedError):
                self._client.update_item(
                    TableName=self._table,
                    Key=self._key(user_id, period),
                    UpdateExpression="REMOVE #reservation ADD reservedCost :minus",
                    ConditionExpression="attribute_exists(#reservation)",
                    ExpressionAttributeNames={"#reservation": RESERVATION_PREFIX + reservation_id},
                    ExpressionAttributeValues=to_item({":minus": -amount}),
                )
        except _ConditionFailedError:
            # JUSTIFICATION: the reservation is gone already (released, or reclaimed after it
            # expired); subtracting it again would free room that was never held.
            return False
        return True
