"""What the admin cost dashboard shows: the platform's costs of a month, by user, model, tier and day.

Every figure comes from the cost summaries ``CostRepository.record`` keeps (see
``apis.shared.quota.costs``); tiers are the ones the quota resolver gives each
user now, from their stored profile (email, JWT roles) and AppRoles. The rows of
a view are enriched together: their profiles in batches, each distinct set of
JWT roles' AppRoles once, and their tiers in one ``QuotaResolver.resolve_many``
(which still asks for each user's own overrides: one index query per user not
in its cache, never a scan).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Literal

from apis.app_api.costs.models import (
    AdminCostDashboard,
    CostTrend,
    ModelBreakdownItem,
    ModelUsageSummary,
    SystemCostSummary,
    TierUsageSummary,
    TopUserCost,
)
from apis.app_api.costs.service import check_range, month_range, parse_day, utc_now
from apis.shared.auth import User
from apis.shared.errors import InputValidationError
from apis.shared.quota import UNLIMITED_THRESHOLD, PeriodType, period_key, summarize_model_usage

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from apis.shared.quota import (
        CostRepository,
        CostSummary,
        DailyCost,
        ModelUsage,
        QuotaResolver,
        ResolvedQuota,
        UserCostTotal,
    )
    from apis.shared.rbac import AppRoleService
    from apis.shared.users import UserProfile, UserRepository

__all__ = ["AdminCostService", "CostExport"]

_MONTH = re.compile(r"^\d{4}-\d{2}$")
_PERCENT = Decimal("0.01")
_COST_PRECISION = Decimal("0.000001")
NO_TIER = ("(none)", "No tier")
UNLIMITED = ("(unlimited)", "Unlimited (override)")
CSV_HEADER = ("User ID", "Email", "Total Cost ($)", "Total Requests", "Tier", "Quota %", "Last Updated")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CostExport:
    filename: str
    media_type: str
    content: str


@dataclass(frozen=True)
class _Standing:
    """Where a user stands on quota: their email, their tier and its monthly limit (``None``: no limit)."""

    email: str | None
    tier_id: str
    tier_name: str
    has_tier: bool
    limit: Decimal | None
    soft_limit_percentage: Decimal | None


def _percentage(cost: Decimal, limit: Decimal) -> Decimal:
    return (cost / limit * 100).quantize(_PERCENT, ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    """A decimal as written by hand: no exponent, no trailing zeros."""
    return format(value.normalize(), "f")


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one that could start a formula gets a leading ``'``."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _trend(day: DailyCost) -> CostTrend:
    return CostTrend(date=day.date, total_cost=day.total_cost, total_requests=day.total_requests,
                     active_users=day.active_users)  # fmt: skip


def _model_row(usage: ModelUsage) -> ModelUsageSummary:
    # The original system writes a model's breakdown entry with no requests before adding its
    # first one, in a separate write: such an entry can be read, and has no average.
    average = Decimal(0)
    if usage.total_requests:
        average = (usage.total_cost / usage.total_requests).quantize(_COST_PRECISION, ROUND_HALF_UP)
    return ModelUsageSummary(
        model_id=usage.model_id,
        model_name=usage.model_name,
        provider=usage.provider,
        total_cost=usage.total_cost,
        total_requests=usage.total_requests,
        unique_users=usage.unique_users,
        avg_cost_per_request=average,
        total_input_tokens=usage.total_input_tokens,
        total_output_tokens=usage.total_output_tokens,
    )


def _person(user_id: str, profile: UserProfile | None) -> User:
    """The user as the quota resolver sees them: their stored email and JWT roles (none without a profile)."""
    if profile is None:
        return User(user_id=user_id, email="", name="")
    return User(user_id=user_id, email=profile.email, name=profile.name, roles=tuple(profile.roles))


def _standing(profile: UserProfile | None, resolved: ResolvedQuota) -> _Standing:
    email = profile.email if profile else None
    tier = resolved.tier
    if tier is None:
        tier_id, tier_name = UNLIMITED if resolved.unlimited else NO_TIER
        return _Standing(email, tier_id, tier_name, has_tier=False, limit=None, soft_limit_percentage=None)
    limit = tier.monthly_cost_limit if tier.monthly_cost_limit < UNLIMITED_THRESHOLD else None
    return _Standing(email, tier.tier_id, tier.tier_name, has_tier=True, limit=limit,
                     soft_limit_percentage=tier.soft_limit_percentage)  # fmt: skip


def _top_user(total: UserCostTotal, standing: _Standing) -> TopUserCost:
    limit = standing.limit
    return TopUserCost(
        user_id=total.user_id,
        total_cost=total.total_cost,
        total_requests=total.total_requests,
        last_updated=total.last_updated,
        email=standing.email,
        tier_name=standing.tier_name if standing.has_tier else None,
        quota_limit=limit,
        quota_percentage=None if limit is None else _percentage(total.total_cost, limit),
    )


def _system_summary(
    period: str, period_type: Literal["daily", "monthly"], summaries: Sequence[CostSummary]
) -> SystemCostSummary:
    breakdown = None
    if period_type == "monthly":
        breakdown = {
            row.model_id: ModelBreakdownItem(cost=row.total_cost, requests=row.total_requests)
            for row in summarize_model_usage(summaries)
        }
    updates = [summary.last_updated for summary in summaries if summary.last_updated]
    return SystemCostSummary(
        period=period,
        period_type=period_type,
        total_cost=sum((summary.total_cost for summary in summaries), Decimal(0)),
        total_requests=sum(summary.total_requests for summary in summaries),
        active_users=len(summaries),
        total_input_tokens=sum(summary.total_input_tokens for summary in summaries),
        total_output_tokens=sum(summary.total_output_tokens for summary in summaries),
        total_cache_savings=sum((summary.cache_savings for summary in summaries), Decimal(0)),
        model_breakdown=breakdown,
        last_updated=max(updates) if updates else None,
    )


class AdminCostService:
    """The admin cost views. Storage failures propagate (5xx); nothing is shown as zero that was not read."""

    def __init__(
        self,
        costs: CostRepository,
        users: UserRepository,
        resolver: QuotaResolver,
        app_roles: AppRoleService,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._costs = costs
        self._users = users
        self._resolver = resolver
        self._app_roles = app_roles
        self._clock = clock

    def _month(self, period: str | None) -> str:
        month = period or period_key(self._clock(), PeriodType.MONTHLY)
        month_range(month)
        return month

    def dashboard(self, period: str | None, *, top_users_limit: int, include_trends: bool) -> AdminCostDashboard:
        """The month's totals, top users, model usage and (when asked) its days up to today.

        Raises:
            InputValidationError: ``period`` is not a month.
            DependencyUnavailableError, DependencyTimeoutError: a table failed.
        """
        month = self._month(period)
        summaries = self._costs.period_summaries(month)
        trends = None
        if include_trends:
            first, last = month_range(month)
            last = min(last, self._clock().date())
            trends = [_trend(day) for day in self._costs.daily_totals(first, last)] if first <= last else []
        return AdminCostDashboard(
            current_period=_system_summary(month, "monthly", summaries),
            top_users=self.top_users(month, limit=top_users_limit),
            model_usage=[_model_row(row) for row in summarize_model_usage(summaries)],
            daily_trends=trends,
        )

    def top_users(
        self, period: str | None, *, limit: int, min_cost: Decimal | None = None, tier_id: str | None = None
    ) -> list[TopUserCost]:
        """The month's biggest spenders with their email, tier and share of the tier's monthly limit.

        Without ``tier_id`` this is one query of the period's ranking; with it, every
        user of the month (of at least ``min_cost``) is placed in their tier, and the
        first ``limit`` of that tier are kept, most expensive first.

        Raises:
            InputValidationError: ``period`` is not a month.
            DependencyUnavailableError, DependencyTimeoutError: a table failed.
        """
        month = self._month(period)
        if tier_id is None:
            return self._top_user_rows(self._costs.top_spenders(month, limit=limit, min_cost=min_cost))
        totals = [t for t in self._costs.period_user_totals(month) if min_cost is None or t.total_cost >= min_cost]
        standings = self._standings([total.user_id for total in totals])
        in_tier = [total for total in totals if standings[total.user_id].tier_id == tier_id]
        return [_top_user(total, standings[total.user_id]) for total in in_tier[:limit]]

    def system_summary(self, period: str | None, period_type: Literal["daily", "monthly"]) -> SystemCostSummary:
        """Everyone's totals of a month (``YYYY-MM``) or a day (``YYYY-MM-DD``), UTC.

        Raises:
            InputValidationError: ``period`` does not match ``period_type``.
            DependencyUnavailableError, DependencyTimeoutError: the cost table failed.
        """
        if period_type == "daily":
            day = period or period_key(self._clock(), PeriodType.DAILY)
            parse_day(day, "period", error=InputValidationError)
            return _system_summary(day, "daily", self._costs.period_summaries(day))
        if period is not None and not _MONTH.match(period):
            raise InputValidationError("A monthly summary's period is a month, YYYY-MM", field="period")
        month = self._month(period)
        return _system_summary(month, "monthly", self._costs.period_summaries(month))

    def usage_by_model(self, period: str | None) -> list[ModelUsageSummary]:
        """Each model's cost, requests, tokens and users in the month, most expensive first.

        Raises:
            InputValidationError: ``period`` is not a month.
            DependencyUnavailableError, DependencyTimeoutError: the cost table failed.
        """
        return [_model_row(row) for row in self._costs.model_usage(self._month(period))]

    def usage_by_tier(self, period: str | None) -> list[TierUsageSummary]:
        """The month's users grouped by the tier each resolves to now, most expensive tier first.

        Raises:
            InputValidationError: ``period`` is not a month.
            DependencyUnavailableError, DependencyTimeoutError: a table failed.
        """
        totals = self._costs.period_user_totals(self._month(period))
        standings = self._standings([total.user_id for total in totals])
        groups: dict[str, tuple[_Standing, list[Decimal]]] = {}
        for total in totals:
            standing = standings[total.user_id]
            groups.setdefault(standing.tier_id, (standing, []))[1].append(total.total_cost)
        rows = []
        for standing, costs in groups.values():
            spent = sum(costs, Decimal(0))
            limit = standing.limit
            at_limit = warned = 0
            if limit is not None:
                at_limit = sum(1 for cost in costs if cost >= limit)
                soft = limit * (standing.soft_limit_percentage or Decimal(100)) / 100
                warned = sum(1 for cost in costs if soft <= cost < limit)
            rows.append(
                TierUsageSummary(
                    tier_id=standing.tier_id,
                    tier_name=standing.tier_name,
                    total_cost=spent,
                    total_users=len(costs),
                    users_at_limit=at_limit,
                    users_warned=warned,
                    avg_utilization=None if limit is None else _percentage(spent / len(costs), limit),
                )
            )
        return sorted(rows, key=lambda row: (-row.total_cost, row.tier_id))

    def trends(self, start_date: str, end_date: str) -> list[CostTrend]:
        """Everyone's cost per UTC day from ``start_date`` to ``end_date``; days without use are left out.

        Raises:
            InputValidationError: a date is not a date of the calendar.
            BadRequestError: the range is reversed or longer than 90 days.
            DependencyUnavailableError, DependencyTimeoutError: the cost table failed.
        """
        start = parse_day(start_date, "startDate", error=InputValidationError)
        end = parse_day(end_date, "endDate", error=InputValidationError)
        check_range(start, end, fields=("startDate", "endDate"))
        return [_trend(day) for day in self._costs.daily_totals(start, end)]

    def export(self, period: str | None, export_format: Literal["csv", "json"]) -> CostExport:
        """Every user of the month, most expensive first, as the top-users rows.

        Raises:
            InputValidationError: ``period`` is not a month.
            DependencyUnavailableError, DependencyTimeoutError: a table failed.
        """
        month = self._month(period)
        rows = self._top_user_rows(self._costs.period_user_totals(month))
        if export_format == "json":
            body = json.dumps([row.model_dump(mode="json", exclude_none=True) for row in rows], indent=2)
            return CostExport(f"cost_report_{month}.json", "application/json", body)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        for row in rows:
            cells = (row.user_id, row.email, _plain(row.total_cost), row.total_requests, row.tier_name,
                     row.quota_percentage, row.last_updated)  # fmt: skip
            writer.writerow([_csv_cell(cell) for cell in cells])
        return CostExport(f"cost_report_{month}.csv", "text/csv", out.getvalue())

    def _top_user_rows(self, totals: Sequence[UserCostTotal]) -> list[TopUserCost]:
        standings = self._standings([total.user_id for total in totals])
        return [_top_user(total, standings[total.user_id]) for total in totals]

    def _standings(self, user_ids: Sequence[str]) -> dict[str, _Standing]:
        """Where each user stands now, by user id (users without a profile: no email, no JWT roles).

        Raises:
            DependencyUnavailableError, DependencyTimeoutError: a table failed.
        """
        profiles = self._users.get_many(user_ids)
        people = [_person(user_id, profiles.get(user_id)) for user_id in dict.fromkeys(user_ids)]
        # A user's AppRoles follow from their JWT roles alone: one resolution per distinct set.
        app_roles: dict[tuple[str, ...], list[str]] = {}
        with_app_roles: list[tuple[User, list[str]]] = []
        for person in people:
            roles = tuple(sorted(set(person.roles)))
            if roles not in app_roles:
                app_roles[roles] = self._app_roles.resolve_user_permissions(person).app_roles
            with_app_roles.append((person, app_roles[roles]))
        resolved = self._resolver.resolve_many(with_app_roles)
        return {person.user_id: _standing(profiles.get(person.user_id), resolved[person.user_id]) for person in people}
