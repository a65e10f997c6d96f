"""The signed-in user's costs: a month's summary and a report over a range of days."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from apis.app_api.costs.models import CostBreakdown, ModelCostSummary, UserCostSummary
from apis.shared.errors import ApisError, BadRequestError, InputValidationError
from apis.shared.quota import CostRecord, CostSummary, ModelCost, PeriodType, period_key
from apis.shared.quota.cost_items import merge_model_costs

if TYPE_CHECKING:
    from collections.abc import Callable

    from apis.shared.quota import CostRepository

__all__ = [
    "MAX_RANGE_DAYS",
    "MONTH_PATTERN",
    "CostReportService",
    "check_range",
    "month_range",
    "parse_day",
    "summarize_records",
    "utc_now",
]

MAX_RANGE_DAYS = 90
MONTH_PATTERN = r"^\d{4}-\d{2}$"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def utc_now() -> datetime:
    return datetime.now(tz=UTC)


def month_range(period: str) -> tuple[date, date]:
    """The first and last day of a ``YYYY-MM`` month.

    Raises:
        InputValidationError: ``period`` is not a month of the calendar.
    """
    try:
        first = date.fromisoformat(f"{period}-01")
    except ValueError as exc:
        raise InputValidationError("The period must be a month, YYYY-MM", field="period") from exc
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def parse_day(value: str, field: str, *, error: type[ApisError] = BadRequestError) -> date:
    """A ``YYYY-MM-DD`` date of the calendar.

    Raises:
        ``error`` (BadRequestError unless told): ``value`` is not one.
    """
    try:
        if not _DAY.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise error("Invalid date format. Use YYYY-MM-DD", field=field) from exc


def check_range(start: date, end: date, *, fields: tuple[str, str]) -> None:
    """Refuse a range that ends before it starts or spans more than ``MAX_RANGE_DAYS`` days.

    Raises:
        BadRequestError: the range is one of those.
    """
    if (end - start).days > MAX_RANGE_DAYS:
        raise BadRequestError(f"Date range cannot exceed {MAX_RANGE_DAYS} days", field=fields[1])
    if start > end:
        raise BadRequestError("Start date must be before end date", field=fields[0])


def _model_view(model: ModelCost) -> ModelCostSummary:
    return ModelCostSummary(
        model_id=model.model_id,
        model_name=model.model_name,
        provider=model.provider,
        total_input_tokens=model.input_tokens,
        total_output_tokens=model.output_tokens,
        total_cache_read_tokens=model.cache_read_tokens,
        total_cache_write_tokens=model.cache_write_tokens,
        cost_breakdown=CostBreakdown(total_cost=model.cost),
        request_count=model.requests,
    )


def _summary_view(summary: CostSummary, start: date, end: date) -> UserCostSummary:
    return UserCostSummary(
        user_id=summary.user_id,
        period_start=f"{start.isoformat()}T00:00:00Z",
        period_end=f"{end.isoformat()}T23:59:59Z",
        total_cost=summary.total_cost,
        models=[_model_view(model) for model in summary.models],
        total_requests=summary.total_requests,
        total_input_tokens=summary.total_input_tokens,
        total_output_tokens=summary.total_output_tokens,
        total_cache_read_tokens=summary.total_cache_read_tokens,
        total_cache_write_tokens=summary.total_cache_write_tokens,
        total_cache_savings=summary.cache_savings,
    )


def _record_model_cost(record: CostRecord) -> ModelCost:
    """One message as its model's use: one request."""
    pricing, usage = record.pricing, record.usage
    return ModelCost(
        model_id=pricing.model_id,
        model_name=pricing.model_name,
        provider=pricing.provider,
        cost=record.cost,
        requests=1,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_input_tokens,
        cache_write_tokens=usage.cache_write_input_tokens,
    )


def summarize_records(user_id: str, period: str, records: list[CostRecord]) -> CostSummary:
    """The totals of a user's cost records, per model, most expensive model first."""
    return CostSummary(
        user_id=user_id,
        period=period,
        total_cost=sum((record.cost for record in records), Decimal(0)),
        total_requests=len(records),
        total_input_tokens=sum(record.usage.input_tokens for record in records),
        total_output_tokens=sum(record.usage.output_tokens for record in records),
        total_cache_read_tokens=sum(record.usage.cache_read_input_tokens for record in records),
        total_cache_write_tokens=sum(record.usage.cache_write_input_tokens for record in records),
        cache_savings=sum((record.cache_savings for record in records), Decimal(0)),
        models=merge_model_costs(map(_record_model_cost, records)),
    )


class CostReportService:
    """What the Costs page shows; a user only ever reads their own figures."""

    def __init__(self, costs: CostRepository, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._costs = costs
        self._clock = clock

    def summary(self, user_id: str, period: str | None) -> UserCostSummary:
        """The user's month (``YYYY-MM``, UTC; the current one when ``None``).

        Raises:
            InputValidationError: ``period`` is not a month.
            DependencyUnavailableError, DependencyTimeoutError: the cost table failed.
        """
        month = period or period_key(self._clock(), PeriodType.MONTHLY)
        start, end = month_range(month)
        return _summary_view(self._costs.summary(user_id, month), start, end)

    def detailed_report(self, user_id: str, start_date: str, end_date: str) -> UserCostSummary:
        """The user's messages from ``start_date`` to ``end_date`` (whole UTC days), per model.

        Raises:
            BadRequestError: a date is not ``YYYY-MM-DD``, the range is reversed or longer than 90 days.
            DependencyUnavailableError, DependencyTimeoutError: the cost records failed.
        """
        start = parse_day(start_date, "start_date")
        end = parse_day(end_date, "end_date")
        check_range(start, end, fields=("start_date", "end_date"))
        records = self._costs.user_records(user_id, start, end)
        summary = summarize_records(user_id, f"{start.isoformat()}/{end.isoformat()}", records)
        return _summary_view(summary, start, end)
