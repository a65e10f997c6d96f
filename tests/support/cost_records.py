"""Prices and cost records for the cost tests of the library and of app-api.

``OCTOBER`` is a month of chat costs, recorded the way the inference API records
them (``CostRepository.record``). October 2025, USD: ada 0.002 + 0.021 + 0.0021
(0.0009 saved by the cache), bob 0.06, cy 0.002, dan 0.1; ada also spends 0.002
on 1 November.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from apis.shared.quota import CostRecord, PricingSnapshot, TokenUsage, message_cost

if TYPE_CHECKING:
    from apis.shared.quota import CostRepository

HAIKU = PricingSnapshot(
    model_id="us.anthropic.claude-haiku-4-5-20251001-v1:0",
    model_name="Claude Haiku 4.5",
    provider="bedrock",
    input_price_per_million_tokens=Decimal("1.00"),
    output_price_per_million_tokens=Decimal("5.00"),
    cache_read_price_per_million_tokens=Decimal("0.10"),
    cache_write_price_per_million_tokens=Decimal("1.25"),
)
SONNET = PricingSnapshot(
    model_id="us.anthropic.claude-sonnet-4-5-v1:0",
    model_name="Claude Sonnet 4.5",
    provider="bedrock",
    input_price_per_million_tokens=Decimal("3.00"),
    output_price_per_million_tokens=Decimal("15.00"),
)
ADA, BOB, CY, DAN = "111111111", "222222222", "333333333", "444444444"


def cost_record(user_id: str, message_id: int, timestamp: str, pricing: PricingSnapshot, **usage: int) -> CostRecord:
    tokens = TokenUsage(**usage)
    cost, savings = message_cost(tokens, pricing)
    return CostRecord(user_id=user_id, session_id=f"session-{user_id}", message_id=message_id, timestamp=timestamp,
                      usage=tokens, pricing=pricing, cost=cost, cache_savings=savings)  # fmt: skip


OCTOBER = [
    cost_record(ADA, 0, "2025-10-01T00:00:00Z", HAIKU, input_tokens=1000, output_tokens=200),
    cost_record(ADA, 1, "2025-10-15T12:00:00Z", SONNET, input_tokens=2000, output_tokens=1000),
    cost_record(ADA, 2, "2025-10-31T23:59:59Z", HAIKU, input_tokens=1000, output_tokens=200,
                cache_read_input_tokens=1000),
    cost_record(BOB, 0, "2025-10-15T13:00:00Z", SONNET, input_tokens=10000, output_tokens=2000),
    cost_record(CY, 0, "2025-10-20T09:00:00Z", HAIKU, input_tokens=1000, output_tokens=200),
    cost_record(DAN, 0, "2025-10-20T10:00:00Z", HAIKU, input_tokens=100000),
    cost_record(ADA, 3, "2025-11-01T00:00:00Z", HAIKU, input_tokens=1000, output_tokens=200),
]  # fmt: skip


def record_october(costs: CostRepository) -> None:
    for record in OCTOBER:
        assert costs.record(record) is True
