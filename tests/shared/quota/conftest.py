from __future__ import annotations

from decimal import Decimal

import pytest

from apis.shared.quota import (
    COST_RECORDS_TABLE,
    COST_SUMMARY_TABLE,
    QUOTA_EVENTS_TABLE,
    QUOTAS_TABLE,
    CostRepository,
    QuotaEventRepository,
    QuotaRepository,
    QuotaTierCreate,
)
from tests.support.aws import table


@pytest.fixture
def quotas(dynamodb) -> QuotaRepository:
    return QuotaRepository(dynamodb, table(dynamodb, "user-quotas", QUOTAS_TABLE))


@pytest.fixture
def events(dynamodb) -> QuotaEventRepository:
    return QuotaEventRepository(dynamodb, table(dynamodb, "quota-events", QUOTA_EVENTS_TABLE))


@pytest.fixture
def costs(dynamodb) -> CostRepository:
    return CostRepository(
        dynamodb,
        summary_table=table(dynamodb, "user-cost-summary", COST_SUMMARY_TABLE),
        records_table=table(dynamodb, "sessions-metadata", COST_RECORDS_TABLE),
        sleep=lambda seconds: None,
    )


def tier_data(tier_id: str = "tier_basic", **overrides) -> QuotaTierCreate:
    values = {"tier_id": tier_id, "tier_name": tier_id.title(), "monthly_cost_limit": Decimal("10.00")} | overrides
    return QuotaTierCreate(**values)
