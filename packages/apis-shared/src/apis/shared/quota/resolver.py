"""Which quota tier applies to a user. First match wins:

1. an active override (unlimited, or a custom limit);
2. a direct user assignment;
3. an assignment to one of the user's AppRoles;
4. an assignment to one of the user's JWT roles;
5. an email-domain assignment (``example.edu``, ``*.example.edu``, ``regex:<re>``, or a comma list);
6. the highest-priority ``default_tier`` assignment;
7. nothing: no limit.

Within a step the enabled assignment with the highest priority whose tier is
enabled wins. Results are cached per user, JWT roles and AppRoles; ``resolve_many``
resolves many users with one override query per user and every other read shared.
With ``version_check_seconds`` the cache follows the quota table's version stamp,
which every write through ``QuotaRepository`` increments: a change made through any
process reaches this one's resolutions within that interval (see ``SharedVersion``).
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import TYPE_CHECKING

from apis.shared.caching import SharedVersion, TtlCache
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
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from apis.shared.auth.models import User
    from apis.shared.quota.repository import QuotaRepository

__all__ = ["QuotaResolver", "domain_matches"]


def domain_matches(pattern: str, domain: str) -> bool:
    """Whether an email-domain assignment pattern covers ``domain``.

    An invalid ``regex:`` pattern raises ``InternalError``: ``QuotaAssignmentCreate``
    refuses one, so a stored one is a data error, and matching nothing would quietly
    give its users another tier, or no limit at all.
    """
    domain = domain.lower()
    for part in (piece.strip() for piece in pattern.split(",") if piece.strip()):
        if part.startswith("regex:"):
            try:
                expression = re.compile(part.removeprefix("regex:"))
            except re.error as error:
                raise InternalError(
                    "An email-domain quota assignment has an invalid pattern", detail=f"{part!r}: {error}"
                ) from error
            if expression.fullmatch(domain):
                return True
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


_CacheKey = tuple[str, tuple[str, ...], tuple[str, ...]]


class _Reads:
    """What one call of the resolver reads from the quota table, each thing once.

    ``everyone`` reads every direct assignment up front (one query of the
    assignment-type index), so that resolving many users asks only for each
    user's active override (one query of the user-override index, as ``resolve``).
    """

    def __init__(self, repository: QuotaRepository, *, everyone: bool = False) -> None:
        self._repository = repository
        self._now = utc_timestamp(timespec="auto")
        self._overrides: dict[str, QuotaOverride | None] = {}
        self._direct: dict[str, list[QuotaAssignment]] | None = None
        self._app_role: dict[str, list[QuotaAssignment]] = {}
        self._jwt_role: dict[str, list[QuotaAssignment]] = {}
        self._of_type: dict[QuotaAssignmentType, list[QuotaAssignment]] = {}
        self._tiers: dict[str, QuotaTier | None] = {}
        if everyone:
            self._direct = {}
            for assignment in repository.assignments_of_type(QuotaAssignmentType.DIRECT_USER):
                if assignment.user_id:
                    self._direct.setdefault(assignment.user_id, []).append(assignment)

    def override(self, user_id: str) -> QuotaOverride | None:
        if user_id not in self._overrides:
            self._overrides[user_id] = self._repository.active_override(user_id, now=self._now)
        return self._overrides[user_id]

    def for_user(self, user_id: str) -> list[QuotaAssignment]:
        if self._direct is None:
            return self._repository.assignments_for_user(user_id)
        return self._direct.get(user_id, [])

    def for_app_role(self, app_role_id: str) -> list[QuotaAssignment]:
        if app_role_id not in self._app_role:
            self._app_role[app_role_id] = self._repository.assignments_for_app_role(app_role_id)
        return self._app_role[app_role_id]

    def for_jwt_role(self, jwt_role: str) -> list[QuotaAssignment]:
        if jwt_role not in self._jwt_role:
            self._jwt_role[jwt_role] = self._repository.assignments_for_jwt_role(jwt_role)
        return self._jwt_role[jwt_role]

    def of_type(self, assignment_type: QuotaAssignmentType) -> list[QuotaAssignment]:
        if assignment_type not in self._of_type:
            self._of_type[assignment_type] = self._repository.assignments_of_type(assignment_type)
        return self._of_type[assignment_type]

    def tier(self, tier_id: str) -> QuotaTier | None:
        if tier_id not in self._tiers:
            self._tiers[tier_id] = self._repository.get_tier(tier_id)
        return self._tiers[tier_id]


class QuotaResolver:
    """Resolves (and caches) the tier of a user. Storage failures propagate."""

    def __init__(
        self,
        repository: QuotaRepository,
        *,
        cache_ttl_seconds: float = 300.0,
        version_check_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repository = repository
        self._version = (
            SharedVersion(
                repository.cache_version, check_interval_seconds=version_check_seconds, clock=clock, name="quota"
            )
            if version_check_seconds is not None
            else None
        )
        self._cache: TtlCache[_CacheKey, ResolvedQuota] = TtlCache(
            cache_ttl_seconds, clock=clock, version=self._version
        )

    def invalidate(self) -> None:
        """Forget every resolution (call after changing tiers, assignments or overrides through this process)."""
        self._cache.clear()
        if self._version is not None:
            self._version.expire()

    @staticmethod
    def _key(user: User, app_role_ids: Sequence[str]) -> _CacheKey:
        return user.user_id, tuple(sorted(set(user.roles))), tuple(sorted(set(app_role_ids)))

    def resolve(self, user: User, app_role_ids: Sequence[str] = ()) -> ResolvedQuota:
        return self._cache.get_or_load(
            self._key(user, app_role_ids), lambda: self._resolve(user, app_role_ids, _Reads(self._repository))
        )

    def resolve_many(self, users: Iterable[tuple[User, Sequence[str]]]) -> dict[str, ResolvedQuota]:
        """What ``resolve`` gives each of many users (with their AppRole ids), by user id.

        Cached users come from the cache and the others are cached as ``resolve``
        caches them. For those, each distinct user's active override is one query
        of the user-override index (as ``resolve`` reads it; no scan), every
        direct assignment is read in one query, then each AppRole's, JWT role's
        and assignment type's assignments and each tier once, and users alike in
        email domain, JWT roles, AppRoles, override and direct assignments share
        one resolution: beyond the override queries, the reads grow with the
        distinct roles and domains, not with the users.
        """
        resolved: dict[str, ResolvedQuota] = {}
        pending: list[tuple[_CacheKey, User, Sequence[str]]] = []
        epoch = self._cache.epoch()
        for user, app_role_ids in users:
            key = self._key(user, app_role_ids)
            cached = self._cache.get(key)
            if cached is None:
                pending.append((key, user, app_role_ids))
            else:
                resolved[user.user_id] = cached
        if not pending:
            return resolved
        reads = _Reads(self._repository, everyone=True)
        alike: dict[tuple[object, ...], ResolvedQuota] = {}
        for key, user, app_role_ids in pending:
            override = reads.override(user.user_id)
            own = tuple(assignment.assignment_id for assignment in reads.for_user(user.user_id))
            group = (override.override_id if override else None, own, user.email_domain, key[1], key[2])
            shared = alike.get(group)
            if shared is None:
                result = alike[group] = self._resolve(user, app_role_ids, reads)
            else:
                result = shared.model_copy(update={"user_id": user.user_id})
            self._cache.set(key, result, epoch=epoch)
            resolved[user.user_id] = result
        return resolved

    def _resolve(self, user: User, app_role_ids: Sequence[str], reads: _Reads) -> ResolvedQuota:
        override = reads.override(user.user_id)
        if override is not None:
            tier = None if override.override_type is QuotaOverrideType.UNLIMITED else _override_tier(override)
            return ResolvedQuota(user_id=user.user_id, tier=tier, matched_by="override", override=override)
        steps: list[tuple[str, Callable[[], Iterable[QuotaAssignment]]]] = [
            ("direct_user", lambda: reads.for_user(user.user_id)),
            ("app_role", lambda: self._each(app_role_ids, reads.for_app_role)),
            ("jwt_role", lambda: self._each(user.roles, reads.for_jwt_role)),
            (
                "email_domain",
                lambda: (
                    a
                    for a in reads.of_type(QuotaAssignmentType.EMAIL_DOMAIN)
                    if a.email_domain and user.email_domain and domain_matches(a.email_domain, user.email_domain)
                ),
            ),
            ("default_tier", lambda: reads.of_type(QuotaAssignmentType.DEFAULT_TIER)),
        ]
        for matched_by, candidates in steps:
            found = self._best(candidates(), reads)
            if found is not None:
                assignment, tier = found
                return ResolvedQuota(user_id=user.user_id, tier=tier, matched_by=matched_by, assignment=assignment)
        return ResolvedQuota(user_id=user.user_id, matched_by="none")

    @staticmethod
    def _each(keys: Iterable[str], lookup: Callable[[str], list[QuotaAssignment]]) -> list[QuotaAssignment]:
        return [assignment for key in sorted(set(keys)) for assignment in lookup(key)]

    @staticmethod
    def _best(assignments: Iterable[QuotaAssignment], reads: _Reads) -> tuple[QuotaAssignment, QuotaTier] | None:
        for assignment in sorted(assignments, key=lambda a: (-a.priority, a.assignment_id)):
            if not assignment.enabled:
                continue
            tier = reads.tier(assignment.tier_id)
            if tier is not None and tier.enabled:
                return assignment, tier
        return None
