"""``/admin/costs``: the platform's costs of a month, by user, model, tier and day; admin-only.

List responses are bare JSON arrays, as the web client reads them.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from apis.app_api.costs.models import (
    AdminCostDashboard,
    CostTrend,
    ModelUsageSummary,
    SystemCostSummary,
    TierUsageSummary,
    TopUserCost,
)
from apis.app_api.costs.service import MONTH_PATTERN
from apis.app_api.dependencies import AdminCostsDep, AdminUser

__all__ = ["router"]

router = APIRouter(prefix="/costs", tags=["admin: costs"])

_DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
Month = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM (UTC); this month if absent")]


@router.get("/dashboard", response_model=AdminCostDashboard, response_model_exclude_none=True)
def get_dashboard(
    admin: AdminUser,
    admin_costs: AdminCostsDep,
    period: Month = None,
    top_users_limit: Annotated[int, Query(alias="topUsersLimit", ge=1, le=1000)] = 100,
    include_trends: Annotated[bool, Query(alias="includeTrends")] = True,
) -> AdminCostDashboard:
    """The month's totals, top users, model usage and daily trends."""
    return admin_costs.dashboard(period, top_users_limit=top_users_limit, include_trends=include_trends)


@router.get("/top-users", response_model=list[TopUserCost], response_model_exclude_none=True)
def get_top_users(
    admin: AdminUser,
    admin_costs: AdminCostsDep,
    period: Month = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    min_cost: Annotated[Decimal | None, Query(alias="minCost", ge=0)] = None,
    tier_id: Annotated[str | None, Query(alias="tierId", min_length=1, max_length=64)] = None,
) -> list[TopUserCost]:
    """The month's biggest spenders, most expensive first."""
    return admin_costs.top_users(period, limit=limit, min_cost=min_cost, tier_id=tier_id)


@router.get("/system-summary", response_model=SystemCostSummary, response_model_exclude_none=True)
def get_system_summary(
    admin: AdminUser,
    admin_costs: AdminCostsDep,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}(-\d{2})?$", description="YYYY-MM or YYYY-MM-DD")] = None,
    period_type: Annotated[Literal["daily", "monthly"], Query(alias="periodType")] = "monthly",
) -> SystemCostSummary:
    """Everyone's totals of a month or a day (UTC)."""
    return admin_costs.system_summary(period, period_type)


@router.get("/by-model", response_model=list[ModelUsageSummary])
def get_usage_by_model(admin: AdminUser, admin_costs: AdminCostsDep, period: Month = None) -> list[ModelUsageSummary]:
    """Each model's use in the month, most expensive first."""
    return admin_costs.usage_by_model(period)


@router.get("/by-tier", response_model=list[TierUsageSummary], response_model_exclude_none=True)
def get_usage_by_tier(admin: AdminUser, admin_costs: AdminCostsDep, period: Month = None) -> list[TierUsageSummary]:
    """The month's users grouped by the quota tier each resolves to now."""
    return admin_costs.usage_by_tier(period)


@router.get("/trends", response_model=list[CostTrend])
def get_trends(
    admin: AdminUser,
    admin_costs: AdminCostsDep,
    start_date: Annotated[str, Query(alias="startDate", pattern=_DAY_PATTERN)],
    end_date: Annotated[str, Query(alias="endDate", pattern=_DAY_PATTERN)],
) -> list[CostTrend]:
    """Everyone's cost per UTC day (at most 90 days apart); days without use are left out."""
    return admin_costs.trends(start_date, end_date)


@router.get("/export", response_class=Response, responses={200: {"content": {"text/csv": {}, "application/json": {}}}})
def export_costs(
    admin: AdminUser,
    admin_costs: AdminCostsDep,
    period: Month = None,
    export_format: Annotated[Literal["csv", "json"], Query(alias="format")] = "csv",
) -> Response:
    """Every user of the month as a file, ``cost_report_<period>.csv`` (or ``.json``)."""
    export = admin_costs.export(period, export_format)
    return Response(
        content=export.content,
        media_type=export.media_type,
        headers={"Content-Disposition": f"attachment; filename={export.filename}"},
    )
