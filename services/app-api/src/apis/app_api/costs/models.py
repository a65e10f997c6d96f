"""Response bodies of the Costs page and the admin cost dashboard (the web client's field names).

Money is exact (``Decimal``) and a JSON number on the wire. A figure the platform
did not record is left out of the body, never sent as zero.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from apis.shared.money import Money
from apis.shared.schema import CamelModel

__all__ = [
    "AdminCostDashboard",
    "CostBreakdown",
    "CostTrend",
    "ModelBreakdownItem",
    "ModelCostSummary",
    "ModelUsageSummary",
    "SystemCostSummary",
    "TierUsageSummary",
    "TopUserCost",
    "UserCostSummary",
]


class CostBreakdown(CamelModel):
    """What a model cost. The split by token kind is not recorded, so only the total is sent."""

    total_cost: Money
    input_cost: Money | None = None
    output_cost: Money | None = None
    cache_write_cost: Money | None = None
    cache_read_cost: Money | None = None


class ModelCostSummary(CamelModel):
    model_id: str
    model_name: str
    provider: str
    total_input_tokens: int
    total_output_tokens: int
    total_cache_read_tokens: int | None = None
    total_cache_write_tokens: int | None = None
    cost_breakdown: CostBreakdown
    request_count: int


class UserCostSummary(CamelModel):
    """The signed-in user's costs over a month or a range of days."""

    user_id: str
    period_start: str
    period_end: str
    total_cost: Money
    models: list[ModelCostSummary] = Field(default_factory=list)
    total_requests: int
    total_input_tokens: int
    total_output_tokens: int
    total_cache_read_tokens: int
    total_cache_write_tokens: int
    total_cache_savings: Money


class TopUserCost(CamelModel):
    user_id: str
    total_cost: Money
    total_requests: int
    last_updated: str | None = None
    email: str | None = None
    tier_name: str | None = None
    quota_limit: Money | None = None
    quota_percentage: Money | None = None


class ModelBreakdownItem(CamelModel):
    cost: Money
    requests: int


class SystemCostSummary(CamelModel):
    period: str
    period_type: Literal["daily", "monthly"]
    total_cost: Money
    total_requests: int
    active_users: int
    total_input_tokens: int
    total_output_tokens: int
    total_cache_savings: Money
    model_breakdown: dict[str, ModelBreakdownItem] | None = None
    last_updated: str | None = None


class ModelUsageSummary(CamelModel):
    model_id: str
    model_name: str
    provider: str
    total_cost: Money
    total_requests: int
    unique_users: int
    avg_cost_per_request: Money
    total_input_tokens: int
    total_output_tokens: int


class TierUsageSummary(CamelModel):
    """The users of a period grouped by the tier the quota resolver gives them now.

    ``usersAtLimit`` counts users whose month reached the tier's monthly limit,
    ``usersWarned`` those past its soft limit but under the limit. Without a limit
    (no tier, an unlimited override) there is no utilization.
    """

    tier_id: str
    tier_name: str
    total_cost: Money
    total_users: int
    users_at_limit: int
    users_warned: int
    avg_utilization: Money | None = None


class CostTrend(CamelModel):
    date: str
    total_cost: Money
    total_requests: int
    active_users: int


class AdminCostDashboard(CamelModel):
    current_period: SystemCostSummary
    top_users: list[TopUserCost]
    model_usage: list[ModelUsageSummary]
    tier_usage: list[TierUsageSummary] | None = None
    daily_trends: list[CostTrend] | None = None
