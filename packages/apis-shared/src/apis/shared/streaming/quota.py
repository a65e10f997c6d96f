"""The quota's stream events, as the web client reads them (``quota_warning``, ``quota_exceeded``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from apis.shared.money import Money
from apis.shared.quota.models import PeriodType, QuotaCheckResult, WarningLevel
from apis.shared.schema import CamelModel
from apis.shared.streaming.frames import format_sse

__all__ = ["QuotaExceededEvent", "QuotaWarningEvent", "build_quota_exceeded_event", "build_quota_warning_event"]


class QuotaWarningEvent(CamelModel):
    type: Literal["quota_warning"] = "quota_warning"
    warning_level: str
    current_usage: Money
    quota_limit: Money
    percentage_used: Money
    remaining: Money
    message: str

    def to_sse_format(self) -> str:
        return format_sse("quota_warning", self)


class QuotaExceededEvent(CamelModel):
    """Ends a conversational error (``conversational_error_frames(event, stop_reason="quota_exceeded")``)."""

    type: Literal["quota_exceeded"] = "quota_exceeded"
    current_usage: Money
    quota_limit: Money
    percentage_used: Money
    period_type: PeriodType
    tier_name: str | None = None
    reset_info: str
    message: str

    def to_sse_format(self) -> str:
        return format_sse("quota_exceeded", self)


def _money(value: Decimal) -> str:
    return f"${value.quantize(Decimal('0.01'))}"


def build_quota_warning_event(result: QuotaCheckResult) -> QuotaWarningEvent | None:
    """The warning for a check result, or None when there is nothing to warn about."""
    if result.warning_level == WarningLevel.NONE.value or result.quota_limit is None:
        return None
    return QuotaWarningEvent(
        warning_level=result.warning_level,
        current_usage=result.current_usage,
        quota_limit=result.quota_limit,
        percentage_used=result.percentage_used,
        remaining=result.remaining if result.remaining is not None else Decimal(0),
        message=(
            f"You have used {result.percentage_used.quantize(Decimal('1'))}% of your quota "
            f"({_money(result.current_usage)} / {_money(result.quota_limit)})"
        ),
    )


def _reset_info(period_type: PeriodType, now: datetime) -> str:
    if period_type is PeriodType.DAILY:
        return "Your quota resets at midnight UTC."
    first_of_next = (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    days = (first_of_next.date() - now.date()).days
    return f"Your quota resets in {days} day{'s' if days != 1 else ''} (on the 1st of next month, UTC)."


def build_quota_exceeded_event(result: QuotaCheckResult, *, now: datetime | None = None) -> QuotaExceededEvent:
    """The event (and the markdown text shown as the assistant's reply) for a blocked request."""
    moment = (now or datetime.now(tz=UTC)).astimezone(UTC)
    limit = result.quota_limit if result.quota_limit is not None else Decimal(0)
    reset = _reset_info(result.period_type, moment)
    message = (
        "**You have reached your usage quota.**\n\n"
        "| Used | Limit | Usage |\n|---|---|---|\n"
        f"| {_money(result.current_usage)} | {_money(limit)} | {result.percentage_used.quantize(Decimal('1'))}% |\n\n"
        f"{reset} If you need more, contact your administrator."
    )
    return QuotaExceededEvent(
        current_usage=result.current_usage,
        quota_limit=limit,
        percentage_used=result.percentage_used,
        period_type=result.period_type,
        tier_name=result.tier.tier_name if result.tier else None,
        reset_info=reset,
        message=message,
    )
