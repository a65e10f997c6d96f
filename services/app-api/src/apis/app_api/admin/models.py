"""Response bodies of the admin pages (the client's field names)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from apis.shared.money import Money
from apis.shared.quota import QuotaAssignment, QuotaEvent, QuotaOverride, QuotaTier
from apis.shared.schema import CamelModel
from apis.shared.users import UserListItem, UserProfile

__all__ = [
    "AdminUserListItem",
    "AdminUserListResponse",
    "CostSummaryView",
    "QuotaStatusView",
    "UserDetailResponse",
    "UserEventView",
    "UserQuotaInfo",
]


class AdminUserListItem(UserListItem):
    current_month_cost: Money | None = None
    quota_usage_percentage: Money | None = None


class AdminUserListResponse(CamelModel):
    users: list[AdminUserListItem]
    next_cursor: str | None = None
    total_count: int | None = None


class CostSummaryView(CamelModel):
    total_cost: Money = Decimal(0)
    total_requests: int = 0
    total_input_tokens: int = 0
    total_output_tokens: int = 0
    cache_savings: Money = Decimal(0)
    primary_model: str | None = None


class QuotaStatusView(CamelModel):
    tier_id: str | None = None
    tier_name: str | None = None
    matched_by: str | None = None
    monthly_limit: Money | None = None
    current_usage: Money = Decimal(0)
    usage_percentage: Money = Decimal(0)
    remaining: Money | None = None
    has_active_override: bool = False
    override_reason: str | None = None


class UserEventView(CamelModel):
    event_id: str
    event_type: str
    timestamp: str
    percentage_used: Money


class UserDetailResponse(CamelModel):
    profile: UserProfile
    cost_summary: CostSummaryView
    quota_status: QuotaStatusView
    recent_events: list[UserEventView] = Field(default_factory=list)


class UserQuotaInfo(CamelModel):
    user_id: str
    email: str
    roles: list[str]
    tier: QuotaTier | None = None
    assignment: QuotaAssignment | None = None
    override: QuotaOverride | None = None
    matched_by: str | None = None
    current_period: str
    current_usage: Money = Decimal(0)
    quota_limit: Money | None = None
    percentage_used: Money = Decimal(0)
    remaining: Money | None = None
    recent_blocks: int = 0
    last_block_time: str | None = None


def event_view(event: QuotaEvent) -> UserEventView:
    return UserEventView(
        event_id=event.event_id,
        event_type=event.event_type.value,
        timestamp=event.timestamp,
        percentage_used=event.percentage_used,
    )
