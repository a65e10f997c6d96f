"""What cost accounting records and reports: prices, token usage, per-message costs and the totals over them.

Every figure is exact: money is ``Decimal`` end to end (``Money``: a JSON number
on the wire), and every total is a sum of what was recorded. A record whose
usage the model never reported is priced from estimated tokens and says so
(``CostRecord.estimated``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from apis.shared.money import Money
from apis.shared.schema import CamelModel

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "CostRecord",
    "CostSummary",
    "DailyCost",
    "ModelCost",
    "ModelUsage",
    "PricingSnapshot",
    "TokenUsage",
    "UserCostTotal",
    "message_cost",
    "summarize_model_usage",
]

_MILLION = Decimal(1_000_000)
_CENT_PRECISION = Decimal("0.000001")


class PricingSnapshot(CamelModel):
    """USD per million tokens, as the managed model was priced when the message was made."""

    model_id: str
    model_name: str = ""
    provider: str = "bedrock"
    input_price_per_million_tokens: Money = Decimal(0)
    output_price_per_million_tokens: Money = Decimal(0)
    cache_write_price_per_million_tokens: Money | None = None
    cache_read_price_per_million_tokens: Money | None = None


class TokenUsage(CamelModel):
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cache_read_input_tokens: int = Field(default=0, ge=0)
    cache_write_input_tokens: int = Field(default=0, ge=0)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_input_tokens + self.cache_write_input_tokens


def message_cost(usage: TokenUsage, pricing: PricingSnapshot) -> tuple[Decimal, Decimal]:
    """Return ``(cost, cache_savings)`` in USD for one message.

    Cache reads are charged at the cache-read price (input price when the model
    has none) and writes at the cache-write price; savings are what the cached
    reads would have cost at the full input price.
    """
    read_price = pricing.cache_read_price_per_million_tokens
    write_price = pricing.cache_write_price_per_million_tokens
    input_price = pricing.input_price_per_million_tokens
    cost = (
        Decimal(usage.input_tokens) * input_price
        + Decimal(usage.output_tokens) * pricing.output_price_per_million_tokens
        + Decimal(usage.cache_read_input_tokens) * (read_price if read_price is not None else input_price)
        + Decimal(usage.cache_write_input_tokens) * (write_price if write_price is not None else input_price)
    ) / _MILLION
    savings = Decimal(usage.cache_read_input_tokens) * (
        input_price - (read_price if read_price is not None else input_price)
    )
    return cost.quantize(_CENT_PRECISION, ROUND_HALF_UP), (savings / _MILLION).quantize(_CENT_PRECISION, ROUND_HALF_UP)


class CostRecord(CamelModel):
    """The cost of one model call: a chat turn's assistant message, a conversation title, a test chat.

    ``estimated`` marks a record whose usage the model never reported (a turn cut
    short by a client that left or by a failure): its tokens are estimated from
    the text sent and generated (see ``apis.shared.metering``). ``purpose`` says
    which call it was; records written before 1.7 are chat turns.
    """

    user_id: str
    session_id: str
    message_id: int = Field(ge=0)
    timestamp: str
    usage: TokenUsage
    pricing: PricingSnapshot
    cost: Money
    cache_savings: Money = Decimal(0)
    estimated: bool = False
    purpose: Literal["chat", "title", "test_chat"] = "chat"


class ModelCost(CamelModel):
    """One user's use of one model in one month.

    The cache token totals are ``None`` where they were not recorded per model
    (items written by apis-shared 1.5.0 and earlier).
    """

    model_id: str
    model_name: str = ""
    provider: str = ""
    cost: Money = Decimal(0)
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None


class CostSummary(CamelModel):
    """Totals of one user in one period (a month ``YYYY-MM`` or a day ``YYYY-MM-DD``)."""

    user_id: str
    period: str
    total_cost: Money = Decimal(0)
    total_requests: int = 0
    total_input_tokens: int = 0
    total_output_tokens: int = 0
    total_cache_read_tokens: int = 0
    total_cache_write_tokens: int = 0
    cache_savings: Money = Decimal(0)
    last_updated: str | None = None
    models: list[ModelCost] = Field(default_factory=list)

    @property
    def primary_model(self) -> str | None:
        return max(self.models, key=lambda model: model.cost).model_id if self.models else None


class UserCostTotal(CamelModel):
    """A user's total of one month, as the period's ranking lists it."""

    user_id: str
    period: str
    total_cost: Money
    total_requests: int
    last_updated: str | None = None


class DailyCost(CamelModel):
    """Everyone's cost of one UTC day."""

    date: str
    total_cost: Money
    total_requests: int
    active_users: int


class ModelUsage(CamelModel):
    """Everyone's use of one model in one month."""

    model_id: str
    model_name: str
    provider: str
    total_cost: Money
    total_requests: int
    total_input_tokens: int
    total_output_tokens: int
    unique_users: int


def summarize_model_usage(summaries: Iterable[CostSummary]) -> list[ModelUsage]:
    """Add up the per-model costs of users' summaries into one row per model, most expensive first."""
    rows: dict[str, ModelUsage] = {}
    for summary in summaries:
        for model in summary.models:
            row = rows.get(model.model_id)
            if row is None:
                rows[model.model_id] = ModelUsage(
                    model_id=model.model_id,
                    model_name=model.model_name,
                    provider=model.provider,
                    total_cost=model.cost,
                    total_requests=model.requests,
                    total_input_tokens=model.input_tokens,
                    total_output_tokens=model.output_tokens,
                    unique_users=1,
                )
                continue
            rows[model.model_id] = row.model_copy(
                update={
                    "model_name": row.model_name or model.model_name,
                    "provider": row.provider or model.provider,
                    "total_cost": row.total_cost + model.cost,
                    "total_requests": row.total_requests + model.requests,
                    "total_input_tokens": row.total_input_tokens + model.input_tokens,
                    "total_output_tokens": row.total_output_tokens + model.output_tokens,
                    "unique_users": row.unique_users + 1,
                }
            )
    return sorted(rows.values(), key=lambda row: (-row.total_cost, row.model_id))
