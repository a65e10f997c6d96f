"""Quota tiers, who gets which tier (assignments and overrides), events, and check results."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, model_validator
from pydantic.alias_generators import to_camel

from apis.shared.money import Money
from apis.shared.schema import CamelModel, PartialUpdate
from apis.shared.timestamps import format_utc

__all__ = [
    "ActionOnLimit",
    "PeriodType",
    "QuotaAssignment",
    "QuotaAssignmentCreate",
    "QuotaAssignmentType",
    "QuotaAssignmentUpdate",
    "QuotaCheckResult",
    "QuotaEvent",
    "QuotaEventType",
    "QuotaOverride",
    "QuotaOverrideCreate",
    "QuotaOverrideType",
    "QuotaOverrideUpdate",
    "QuotaTier",
    "QuotaTierCreate",
    "QuotaTierUpdate",
    "ResolvedQuota",
    "WarningLevel",
]


class PeriodType(StrEnum):
    DAILY = "daily"
    MONTHLY = "monthly"


class ActionOnLimit(StrEnum):
    BLOCK = "block"
    WARN = "warn"


class QuotaAssignmentType(StrEnum):
    DIRECT_USER = "direct_user"
    APP_ROLE = "app_role"
    JWT_ROLE = "jwt_role"
    EMAIL_DOMAIN = "email_domain"
    DEFAULT_TIER = "default_tier"


class QuotaOverrideType(StrEnum):
    CUSTOM_LIMIT = "custom_limit"
    UNLIMITED = "unlimited"


class QuotaEventType(StrEnum):
    WARNING = "warning"
    BLOCK = "block"
    RESET = "reset"
    OVERRIDE_APPLIED = "override_applied"


class WarningLevel(StrEnum):
    NONE = "none"
    SOFT = "soft"
    CRITICAL = "90%"


class QuotaTierCreate(CamelModel):
    tier_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    tier_name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    monthly_cost_limit: Money = Field(gt=0)
    daily_cost_limit: Money | None = Field(default=None, gt=0)
    period_type: PeriodType = PeriodType.MONTHLY
    soft_limit_percentage: Money = Field(default=Decimal(80), ge=0, le=100)
    action_on_limit: ActionOnLimit = ActionOnLimit.BLOCK
    enabled: bool = True


class QuotaTierUpdate(PartialUpdate):
    """Only the fields sent change; null only clears the description or the daily limit."""

    nullable = frozenset({"description", "daily_cost_limit"})

    tier_name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    monthly_cost_limit: Money | None = Field(default=None, gt=0)
    daily_cost_limit: Money | None = Field(default=None, gt=0)
    period_type: PeriodType | None = None
    soft_limit_percentage: Money | None = Field(default=None, ge=0, le=100)
    action_on_limit: ActionOnLimit | None = None
    enabled: bool | None = None


class QuotaTier(QuotaTierCreate):
    created_at: str
    updated_at: str
    created_by: str

    def limit_for(self, period_type: PeriodType) -> Decimal:
        """The limit of a period: the daily limit for daily tiers that have one, else the monthly limit."""
        if period_type is PeriodType.DAILY and self.daily_cost_limit is not None:
            return self.daily_cost_limit
        return self.monthly_cost_limit


class QuotaAssignmentCreate(CamelModel):
    tier_id: str
    assignment_type: QuotaAssignmentType
    user_id: str | None = None
    app_role_id: str | None = None
    jwt_role: str | None = None
    email_domain: str | None = None
    priority: int = Field(default=100, ge=0, le=999_999)
    enabled: bool = True

    @model_validator(mode="after")
    def _criterion_matches_type(self) -> Self:
        required = {
            QuotaAssignmentType.DIRECT_USER: "user_id",
            QuotaAssignmentType.APP_ROLE: "app_role_id",
            QuotaAssignmentType.JWT_ROLE: "jwt_role",
            QuotaAssignmentType.EMAIL_DOMAIN: "email_domain",
        }.get(self.assignment_type)
        if required is not None and not getattr(self, required):
            raise ValueError(f"{to_camel(required)} is required for a {self.assignment_type.value} assignment")
        for part in (self.email_domain or "").split(","):
            if part.strip().startswith("regex:"):
                try:
                    re.compile(part.strip().removeprefix("regex:"))
                except re.error as exc:
                    raise ValueError(f"emailDomain pattern {part.strip()!r} is not a valid regex: {exc}") from exc
        return self


class QuotaAssignmentUpdate(PartialUpdate):
    tier_id: str | None = None
    priority: int | None = Field(default=None, ge=0, le=999_999)
    enabled: bool | None = None


class QuotaAssignment(QuotaAssignmentCreate):
    assignment_id: str
    created_at: str
    updated_at: str
    created_by: str


def _utc_timestamp(value: str) -> str:
    """An ISO 8601 moment with its offset, as the UTC text the overrides' index compares (``...Z``)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError("must be an ISO 8601 date and time, e.g. 2026-01-31T00:00:00Z") from error
    if moment.tzinfo is None:
        raise ValueError("must name its offset from UTC, e.g. 2026-01-31T00:00:00Z")
    return format_utc(moment)


# Override validity is compared as text, in key conditions too: only one spelling of a moment may be stored.
UtcTimestamp = Annotated[str, AfterValidator(_utc_timestamp)]


class QuotaOverrideCreate(CamelModel):
    user_id: str = Field(min_length=1)
    override_type: QuotaOverrideType
    monthly_cost_limit: Money | None = Field(default=None, gt=0)
    daily_cost_limit: Money | None = Field(default=None, gt=0)
    valid_from: UtcTimestamp
    valid_until: UtcTimestamp
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _limits_match_type(self) -> Self:
        if self.override_type is QuotaOverrideType.CUSTOM_LIMIT and self.monthly_cost_limit is None:
            raise ValueError("monthlyCostLimit is required for a custom_limit override")
        if self.valid_until <= self.valid_from:
            raise ValueError("validUntil must be after validFrom")
        return self


class QuotaOverrideUpdate(PartialUpdate):
    valid_until: UtcTimestamp | None = None
    enabled: bool | None = None
    reason: str | None = Field(default=None, min_length=1, max_length=500)


class QuotaOverride(QuotaOverrideCreate):
    # Stored overrides are read as written (by this system or the one it replaced).
    valid_from: str
    valid_until: str
    override_id: str
    created_by: str
    created_at: str
    updated_at: str = ""
    enabled: bool = True


class QuotaEvent(CamelModel):
    event_id: str
    user_id: str
    tier_id: str
    event_type: QuotaEventType
    current_usage: Money
    quota_limit: Money
    percentage_used: Money
    timestamp: str
    metadata: dict[str, Any] | None = None


class ResolvedQuota(CamelModel):
    """Which tier applies to a user, and why."""

    user_id: str
    tier: QuotaTier | None = None
    matched_by: str
    assignment: QuotaAssignment | None = None
    override: QuotaOverride | None = None

    @property
    def unlimited(self) -> bool:
        return self.override is not None and self.override.override_type is QuotaOverrideType.UNLIMITED


class QuotaCheckResult(CamelModel):
    """Whether a request may go ahead, and where the user stands."""

    allowed: bool
    message: str
    tier: QuotaTier | None = None
    matched_by: str | None = None
    period: str | None = None
    period_type: PeriodType = PeriodType.MONTHLY
    current_usage: Money = Decimal(0)
    quota_limit: Money | None = None
    percentage_used: Money = Decimal(0)
    remaining: Money | None = None
    warning_level: str = WarningLevel.NONE.value
