"""May this request spend? The check that runs before every model call.

It does not fail open: if usage cannot be read, the error propagates and the
caller answers 503, rather than letting a request through unmetered. Recording
warning and block events is bookkeeping for the admin pages; a failure there
is logged and does not change the decision.

``check`` only reads; ``admit`` also reserves the call's cost bound under a
blocking tier (see ``apis.shared.quota.reservations``), so that parallel calls
of one user cannot together spend more than was left plus one call's bound.
Every admission is released once the call's cost is recorded (``release``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from apis.shared.errors import ApisError
from apis.shared.quota.costs import period_key
from apis.shared.quota.models import ActionOnLimit, QuotaCheckResult, QuotaEventType, WarningLevel
from apis.shared.timestamps import format_utc

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from apis.shared.auth.models import User
    from apis.shared.quota.costs import CostRepository
    from apis.shared.quota.events import QuotaEventRepository
    from apis.shared.quota.models import QuotaTier
    from apis.shared.quota.reservations import QuotaReservation, QuotaReservationRepository
    from apis.shared.quota.resolver import QuotaResolver

__all__ = ["UNLIMITED_THRESHOLD", "QuotaAdmission", "QuotaChecker"]

logger = logging.getLogger(__name__)

# Limits at or above this are "unlimited" (the admin UI's way of saying so).
UNLIMITED_THRESHOLD = Decimal(999_999)
_CRITICAL_PERCENT = Decimal(90)
_PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class QuotaAdmission:
    """The decision on one call, and the reservation it holds until its cost is recorded."""

    result: QuotaCheckResult
    reservation: QuotaReservation | None = None

    @property
    def allowed(self) -> bool:
        return self.result.allowed


class QuotaChecker:
    def __init__(
        self,
        resolver: QuotaResolver,
        costs: CostRepository,
        events: QuotaEventRepository,
        *,
        reservations: QuotaReservationRepository | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(tz=UTC),
        warning_repeat_after: timedelta = timedelta(minutes=60),
    ) -> None:
        self._resolver = resolver
        self._costs = costs
        self._events = events
        self._reservations = reservations
        self._clock = clock
        self._warning_repeat_after = warning_repeat_after

    def admit(self, user: User, app_role_ids: Sequence[str] = (), *, bound: Decimal) -> QuotaAdmission:
        """Decide for ``user`` and, under a blocking tier, reserve ``bound`` (the call's most it can cost).

        Admitted while usage plus the reservations of calls in flight is below the limit.
        Without a reservation repository this is ``check``. Release the admission after
        recording the call's cost (``release``).

        Raises:
            DependencyUnavailableError, DependencyTimeoutError: usage, tiers or reservations cannot be read
                or written (never a free pass).
        """
        resolved = self._resolver.resolve(user, app_role_ids)
        tier = resolved.tier
        if (
            self._reservations is None
            or resolved.unlimited
            or tier is None
            or tier.action_on_limit is not ActionOnLimit.BLOCK
            or tier.limit_for(tier.period_type) >= UNLIMITED_THRESHOLD
        ):
            return QuotaAdmission(self.check(user, app_role_ids))
        now = self._clock()
        period = period_key(now, tier.period_type)
        limit = tier.limit_for(tier.period_type)
        outcome = self._reservations.reserve(user.user_id, period, limit=limit, amount=bound)
        result = self._result(tier, resolved.matched_by, period, outcome.usage, limit)
        if outcome.reservation is None:
            self._record(user, tier, QuotaEventType.BLOCK, result, now)
            in_flight = " (requests in progress hold the rest)" if outcome.usage < limit else ""
            return QuotaAdmission(
                result.model_copy(
                    update={"allowed": False, "message": f"Quota exceeded{in_flight}", "remaining": Decimal(0)}
                )
            )
        if result.warning_level != WarningLevel.NONE.value:
            self._record_warning_once(user, tier, result, now)
        return QuotaAdmission(result, outcome.reservation)

    def release(self, admission: QuotaAdmission) -> None:
        """Give an admission's reservation back (after its cost is recorded); idempotent.

        Raises:
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed (the reservation then
                stops counting when it expires).
        """
        if admission.reservation is not None and self._reservations is not None:
            self._reservations.release(admission.reservation)

    def check(self, user: User, app_role_ids: Sequence[str] = ()) -> QuotaCheckResult:
        """Decide for ``user``; raises a dependency error when usage or tiers cannot be read."""
        resolved = self._resolver.resolve(user, app_role_ids)
        if resolved.unlimited:
            return QuotaCheckResult(allowed=True, message="Unlimited quota (override)", matched_by=resolved.matched_by)
        tier = resolved.tier
        if tier is None:
            return QuotaCheckResult(allowed=True, message="No quota applies", matched_by=resolved.matched_by)
        now = self._clock()
        period = period_key(now, tier.period_type)
        limit = tier.limit_for(tier.period_type)
        if limit >= UNLIMITED_THRESHOLD:
            return QuotaCheckResult(
                allowed=True, message="Unlimited tier", tier=tier, matched_by=resolved.matched_by, period=period
            )
        usage = self._costs.current_usage(user.user_id, period)
        result = self._result(tier, resolved.matched_by, period, usage, limit)
        if usage >= limit:
            if tier.action_on_limit is ActionOnLimit.BLOCK:
                self._record(user, tier, QuotaEventType.BLOCK, result, now)
                return result.model_copy(
                    update={"allowed": False, "message": "Quota exceeded", "remaining": Decimal(0)}
                )
            result = result.model_copy(update={"message": "Quota exceeded (warn only)", "remaining": Decimal(0)})
        if result.warning_level != WarningLevel.NONE.value:
            self._record_warning_once(user, tier, result, now)
        return result

    def _result(
        self, tier: QuotaTier, matched_by: str | None, period: str, usage: Decimal, limit: Decimal
    ) -> QuotaCheckResult:
        percentage = (usage / limit * 100).quantize(_PERCENT, ROUND_HALF_UP)
        return QuotaCheckResult(
            allowed=True,
            message="Within quota",
            tier=tier,
            matched_by=matched_by,
            period=period,
            period_type=tier.period_type,
            current_usage=usage,
            quota_limit=limit,
            percentage_used=percentage,
            remaining=max(limit - usage, Decimal(0)),
            warning_level=self._warning_level(tier, percentage),
        )

    @staticmethod
    def _warning_level(tier: QuotaTier, percentage: Decimal) -> str:
        if percentage >= _CRITICAL_PERCENT:
            return WarningLevel.CRITICAL.value
        if percentage >= tier.soft_limit_percentage:
            return f"{tier.soft_limit_percentage.normalize():f}%"
        return WarningLevel.NONE.value

    def _record_warning_once(self, user: User, tier: QuotaTier, result: QuotaCheckResult, now: datetime) -> None:
        since = format_utc(now - self._warning_repeat_after)
        try:
            recent = self._events.list_events(user_id=user.user_id, event_type=QuotaEventType.WARNING, since=since)
        except ApisError:
            # JUSTIFICATION: warning events only feed the admin pages; the quota
            # decision is already made and must not fail on them (logged).
            logger.exception("could not read recent quota warnings of user %s", user.user_id)
            return
        if any((event.metadata or {}).get("warningLevel") == result.warning_level for event in recent):
            return
        self._record(user, tier, QuotaEventType.WARNING, result, now)

    def _record(
        self, user: User, tier: QuotaTier, event_type: QuotaEventType, result: QuotaCheckResult, now: datetime
    ) -> None:
        try:
            self._events.record(
                user_id=user.user_id,
                tier_id=tier.tier_id,
                event_type=event_type,
                current_usage=result.current_usage,
                quota_limit=result.quota_limit or Decimal(0),
                percentage_used=result.percentage_used,
                timestamp=format_utc(now),
                metadata={"warningLevel": result.warning_level, "period": result.period},
            )
        except ApisError:
            # JUSTIFICATION: quota events are the admin pages' history; the
            # decision stands without them, and the failure is logged.
            logger.exception("could not record a %s quota event for user %s", event_type.value, user.user_id)
