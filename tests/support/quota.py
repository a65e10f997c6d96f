"""Quota state for tests: a default tier for everyone, and money already spent."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from apis.shared.quota import (
    CostRecord,
    CostRepository,
    PricingSnapshot,
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaRepository,
    QuotaTierCreate,
    TokenUsage,
)

__all__ = ["default_tier", "spent"]


def default_tier(dynamodb: Any, monthly_limit: Decimal | int | str, *, tier_id: str = "tier_basic") -> QuotaRepository:
    """A tier with ``monthly_limit`` dollars a month, assigned to everyone by default (table ``user-quotas``)."""
    quotas = QuotaRepository(dynamodb, "user-quotas")
    quotas.create_tier(QuotaTierCreate(tier_id=tier_id, tier_name=tier_id, monthly_cost_limit=Decimal(monthly_limit)),
                       created_by="test")  # fmt: skip
    quotas.create_assignment(QuotaAssignmentCreate(tier_id=tier_id, assignment_type=QuotaAssignmentType.DEFAULT_TIER),
                             created_by="test")  # fmt: skip
    return quotas


def spent(dynamodb: Any, user_id: str, amount: Decimal | int | str, *, message_id: int = 0,
          model_id: str = "m") -> None:  # fmt: skip
    """Record that ``user_id`` has spent ``amount`` dollars now (a message of session "earlier")."""
    CostRepository(dynamodb, summary_table="user-cost-summary", records_table="sessions-metadata").record(
        CostRecord(user_id=user_id, session_id="earlier", message_id=message_id,
                   timestamp=datetime.now(tz=UTC).isoformat(), usage=TokenUsage(input_tokens=1),
                   pricing=PricingSnapshot(model_id=model_id), cost=Decimal(amount))
    )  # fmt: skip
