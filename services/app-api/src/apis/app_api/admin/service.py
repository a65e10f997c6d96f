"""What the admin user and quota pages show about a user: profile, this month's costs, quota standing.

Read-only: unlike the chat path's quota check, looking at a user records no
quota events.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from apis.app_api.admin.models import (
    AdminUserListItem,
    AdminUserListResponse,
    CostSummaryView,
    QuotaStatusView,
    UserDetailResponse,
    UserQuotaInfo,
    event_view,
)
from apis.shared.auth import User
from apis.shared.quota import UNLIMITED_THRESHOLD, PeriodType, QuotaEventType, ResolvedQuota, period_key
from apis.shared.users import UserListItem, UserNotFoundError, UserStatus

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from apis.shared.quota import CostRepository, QuotaEventRepository, QuotaResolver
    from apis.shared.rbac import AppRoleService
    from apis.shared.users import UserProfile, UserRepository, UsersPage

__all__ = ["UserAdminService"]

_PERCENT = Decimal("0.01")
RECENT_EVENTS = 10


class UserAdminService:
    def __init__(
        self,
        users: UserRepository,
        costs: CostRepository,
        resolver: QuotaResolver,
        app_roles: AppRoleService,
        events: QuotaEventRepository,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(tz=UTC),
    ) -> None:
        self._users = users
        self._costs = costs
        self._resolver = resolver
        self._app_roles = app_roles
        self._events = events
        self._clock = clock

    def list_users(
        self, *, status: UserStatus, domain: str | None, limit: int, cursor: str | None
    ) -> AdminUserListResponse:
        if domain:
            page = self._users.list_by_domain(domain.lower(), limit=limit, cursor=cursor)
        else:
            page = self._users.list_by_status(status, limit=limit, cursor=cursor)
        return self._listing(page.users, page)

    def search_by_email(self, email: str) -> AdminUserListResponse:
        profile = self._users.get_by_email(email.strip().lower())
        return self._listing([profile] if profile else [], None)

    def domains(self, *, limit: int) -> list[str]:
        """Email domains of active users, most common first."""
        counts: dict[str, int] = {}
        cursor: str | None = None
        for _ in range(10):
            page = self._users.list_by_status(UserStatus.ACTIVE, limit=100, cursor=cursor)
            for profile in page.users:
                counts[profile.email_domain] = counts.get(profile.email_domain, 0) + 1
            cursor = page.next_cursor
            if cursor is None:
                break
        return sorted(counts, key=lambda domain: (-counts[domain], domain))[:limit]

    def detail(self, user_id: str) -> UserDetailResponse:
        profile = self._users.get(user_id)
        if profile is None:
            raise UserNotFoundError(f"User {user_id} not found", field="userId")
        summary = self._costs.summary(user_id, period_key(self._clock(), PeriodType.MONTHLY))
        return UserDetailResponse(
            profile=profile,
            cost_summary=CostSummaryView(
                total_cost=summary.total_cost,
                total_requests=summary.total_requests,
                total_input_tokens=summary.total_input_tokens,
                total_output_tokens=summary.total_output_tokens,
                cache_savings=summary.cache_savings,
                primary_model=summary.primary_model,
            ),
            quota_status=self.quota_status(_as_user(profile), monthly_usage=summary.total_cost),
            recent_events=[event_view(e) for e in self._events.list_events(user_id=user_id, limit=RECENT_EVENTS)],
        )

    def quota_status(self, user: User, *, monthly_usage: Decimal | None = None) -> QuotaStatusView:
        """Where ``user`` stands; ``monthly_usage`` saves a read when the caller has this month's cost."""
        resolved = self._resolve(user)
        tier = resolved.tier
        status = QuotaStatusView(
            matched_by=resolved.matched_by,
            has_active_override=resolved.override is not None,
            override_reason=resolved.override.reason if resolved.override else None,
        )
        if tier is None or resolved.unlimited:
            return status
        usage, limit = self._usage_and_limit(user.user_id, resolved, monthly_usage)
        return status.model_copy(
            update={
                "tier_id": tier.tier_id,
                "tier_name": tier.tier_name,
                "monthly_limit": tier.monthly_cost_limit,
                "current_usage": usage,
                "usage_percentage": _percentage(usage, limit),
                "remaining": None if limit is None else max(limit - usage, Decimal(0)),
            }
        )

    def quota_info(self, user_id: str, email: str | None, roles: Sequence[str]) -> UserQuotaInfo:
        """The quota picture of a user; the stored profile fills in what the query leaves out."""
        profile = self._users.get(user_id)
        user = User(
            user_id=user_id,
            email=email or (profile.email if profile else ""),
            name=profile.name if profile else "",
            roles=tuple(roles) if roles else tuple(profile.roles if profile else ()),
        )
        resolved = self._resolve(user)
        period_type = resolved.tier.period_type if resolved.tier else PeriodType.MONTHLY
        usage, limit = self._usage_and_limit(user_id, resolved)
        blocks = self._events.list_events(user_id=user_id, event_type=QuotaEventType.BLOCK, limit=100)
        return UserQuotaInfo(
            user_id=user_id,
            email=user.email,
            roles=list(user.roles),
            tier=resolved.tier,
            assignment=resolved.assignment,
            override=resolved.override,
            matched_by=resolved.matched_by,
            current_period=period_key(self._clock(), period_type),
            current_usage=usage,
            quota_limit=limit,
            percentage_used=_percentage(usage, limit),
            remaining=None if limit is None else max(limit - usage, Decimal(0)),
            recent_blocks=len(blocks),
            last_block_time=blocks[0].timestamp if blocks else None,
        )

    def _resolve(self, user: User) -> ResolvedQuota:
        app_role_ids = self._app_roles.resolve_user_permissions(user).app_roles
        return self._resolver.resolve(user, app_role_ids)

    def _usage_and_limit(
        self, user_id: str, resolved: ResolvedQuota, monthly_usage: Decimal | None = None
    ) -> tuple[Decimal, Decimal | None]:
        tier = resolved.tier
        period_type = tier.period_type if tier else PeriodType.MONTHLY
        if period_type is PeriodType.MONTHLY and monthly_usage is not None:
            usage = monthly_usage
        else:
            usage = self._costs.current_usage(user_id, period_key(self._clock(), period_type))
        if tier is None or resolved.unlimited:
            return usage, None
        limit = tier.limit_for(tier.period_type)
        return usage, None if limit >= UNLIMITED_THRESHOLD else limit

    def _listing(self, profiles: list[UserProfile], page: UsersPage | None) -> AdminUserListResponse:
        month = period_key(self._clock(), PeriodType.MONTHLY)
        items = []
        for profile in profiles:
            month_cost = self._costs.current_usage(profile.user_id, month)
            status = self.quota_status(_as_user(profile), monthly_usage=month_cost)
            items.append(
                AdminUserListItem(
                    **UserListItem.from_profile(profile).model_dump(),
                    current_month_cost=month_cost,
                    quota_usage_percentage=status.usage_percentage if status.tier_id else None,
                )
            )
        return AdminUserListResponse(
            users=items, next_cursor=page.next_cursor if page else None, total_count=None if page else len(items)
        )


def _as_user(profile: UserProfile) -> User:
    return User(user_id=profile.user_id, email=profile.email, name=profile.name, roles=tuple(profile.roles),
                picture=profile.picture)  # fmt: skip


def _percentage(usage: Decimal, limit: Decimal | None) -> Decimal:
    if not limit:
        return Decimal(0)
    return (usage / limit * 100).quantize(_PERCENT, ROUND_HALF_UP)
