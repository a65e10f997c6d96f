"""``/costs``: the signed-in user's own costs (the Costs page)."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import APIRouter, Query

from apis.app_api.costs.models import UserCostSummary
from apis.app_api.costs.service import MONTH_PATTERN
from apis.app_api.dependencies import CostReportsDep, CurrentUser

__all__ = ["router"]

router = APIRouter(prefix="/costs", tags=["costs"])


@router.get("/summary", response_model=UserCostSummary, response_model_exclude_none=True)
def get_cost_summary(
    user: CurrentUser,
    cost_reports: CostReportsDep,
    period: Annotated[
        str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM (UTC); this month if absent")
    ] = None,
) -> UserCostSummary:
    """The caller's totals of a month, per model."""
    return cost_reports.summary(user.user_id, period)


@router.get("/detailed-report", response_model=UserCostSummary, response_model_exclude_none=True)
def get_detailed_report(
    user: CurrentUser,
    cost_reports: CostReportsDep,
    start_date: Annotated[str, Query(description="YYYY-MM-DD, UTC")],
    end_date: Annotated[str, Query(description="YYYY-MM-DD, UTC, included")],
) -> UserCostSummary:
    """The caller's messages over whole UTC days (at most 90 days apart), per model."""
    return cost_reports.detailed_report(user.user_id, start_date, end_date)
