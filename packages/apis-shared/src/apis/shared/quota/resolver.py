"""Which quota tier applies to a user. First match wins:

1. an active override (unlimited, or a custom limit);
2. a direct user assignment;
3. an assignment to one of the user's AppRoles;
4. an assignment to one of the user's JWT roles;
5. an email-domain assignment (``example.edu``, ``*.example.edu``, ``regex:<re>``, or a comma list);
6. the highest-priority ``default_tier`` assignment;
7. nothing: no limit.

Within a step the enabled assignment with the highest priority whose tier is
enabled wins. Results are cached per user, JWT roles and AppRoles.
"""

from __future__ import annotations

import logging
import re
import time
from decimal import Decimal
from typing import TYPE_CHECKING

from apis.shared.caching import TtlCache
from apis.shared.errors import InternalError
from apis.shared.quota.models import (
    PeriodType,
    QuotaAssignment,
    QuotaAssignmentType,
    QuotaOverride,
    QuotaOverrideType,
    QuotaTier,
    ResolvedQuota,
)
from apis.shared.quota.repository import utc_now

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from apis.shared.auth.models import User
    from apis.shared.quota.repository import QuotaRepository

__all__ = ["QuotaResolver", "domain_matches"]

logger = logging.getLogger(__name__)


def domain_matches(pattern: str, domain: str) -> bool:
    """Whether an email-domain assignment pattern covers ``domain``."""
    domain = domain.lower()
    for part in (piece.strip() for piece in pattern.split(",") if piece.strip()):
        if part.startswith("regex:"):
            try:
                if re.fullmatch(part.removeprefix("regex:"), domain):
                    return True
            except re.error:
                logger.exception("email-domain assignment pattern %r is not a valid regex; it matches nothing", part)
            continue
        lowered = part.lower()
        if lowered.startswith("*."):
            base = lowered[2:]
            if domain == base or domain.endswith("." + base):
                return True
        elif domain == lowered:
            return True
    return False


def _override_tier(override: QuotaOverride) -> QuotaTier:
    if override.monthly_cost_limit is None:
        # QuotaOverrideCreate refuses this; an item written by other means is a data error.
        raise InternalError("A custom-limit quota override has no limit", detail=override.override_id)
    return QuotaTier(
        tier_id=f"override_{override.override_id}"[:64],
        tier_name="Custom limit",
        description=override.reason,
        monthly_cost_limit=override.monthly_cost_limit,
        daily_cost_limit=override.daily_cost_limit,
        period_type=PeriodType.DAILY if override.daily_cost_limit is not None else PeriodType.MONTHLY,
        soft_limit_percentage=Decimal(80),
        created_at=override.created_at,
        updated_at=override.updated_at or override.created_at,
        created_by=override.created_by,
    )


class QuotaResolver:
    """Resolves (and caches) the tier of a user. Storage failures propagate."""

    def __init__(
        self,
        repository: QuotaRepository,
        *,
        cache_ttl_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repository = repository
        self._cache: TtlCache[tuple[str, tuple[str, ...], tuple[str, ...]], ResolvedQuota] = TtlCache(
            cache_ttl_seconds, clock=clock
        )

    def invalidate(self) -> None:
        """Forget every resolution (call after changing tiers, assignments or overrides)."""
        self._cache.clear()

    def resolve(self, user: User, app_role_ids: Sequence[str] = ()) -> ResolvedQuota:
        key = (user.user_id, tuple(sorted(set(user.roles))), tuple(sorted(set(app_role_ids))))
        return self._cache.get_or_load(key, lambda: self._resolve(user, app_role_ids))

    def _resolve(self, user: User, app_role_ids: Sequence[str]) -> ResolvedQuota:
        override = self._repository.active_override(user.user_id, now=utc_now())
        if override is not None:
            tier = None if override.override_type is QuotaOverrideType.UNLIMITED else _override_tier(override)
            return ResolvedQuota(user_id=user.user_id, tier=tier, matched_by="override", override=override)
        tiers: dict[str, QuotaTier | None] = {}
        steps: list[tuple[str, Callable[[], Iterable[QuotaAssignment]]]] = [
            ("direct_user", lambda: self._repository.assignments_for_user(user.user_id)),
            ("app_role", lambda: self._each(app_role_ids, self._repository.assignments_for_app_role)),
            ("jwt_role", lambda: self._each(user.roles, self._repository.assignments_for_jwt_role)),
            (
                "email_domain",
                lambda: (
                    a
                    for a in self._repository.assignments_of_type(QuotaAssignmentType.EMAIL_DOMAIN)
                    if a.email_domain and user.email_domain and domain_matches(a.email_domain, user.email_domain)
                ),
            ),
            ("default_tier", lambda: self._repository.assignments_of_type(QuotaAssignmentType.DEFAULT_TIER)),
        ]
        for matched_by, candidates in steps:
            found = self._best(candidates(), tiers)
            if found is not None:
                assignment, tier = found
                return ResolvedQuota(user_id=user.user_id, tier=tier, matched_by=matched_by, assignment=assignment)
        return ResolvedQuota(user_id=user.user_id, matched_by="none")

    @staticmethod
    def _each(keys: Iterable[str], lookup: Callable[[str], list[QuotaAssignment]]) -> list[QuotaAssignment]:
        return [assignment for key in sorted(set(keys)) for assignment in lookup(key)]

    def _best(
        self, assignments: Iterable[QuotaAssignment], tiers: dict[str, QuotaTier | None]
    ) -> tuple[QuotaAssignment, QuotaTier] | None:
        for assignment in sorted(assignments, key=lambda a: (-a.priority, a.assignment_id)):
            if not assignment.enabled:
                continue
            if assignment.tier_id not in tiers:
                tiers[assignment.tier_id] = self._repository.get_tier(assignment.tier_id)
            tier = tiers[assignment.tier_id]
            if tier is not None and tier.enabled:
                return assignment, tier
        return None
