"""What a message cost, and the usage totals the quota is checked against.

Recording a message's cost is one DynamoDB transaction: the cost record (whose
key is the message's own, so a retried write cannot count twice), the monthly
and the daily summary, and the per-model breakdown of the month, all with
atomic ``ADD``. Nothing is read and written back, so concurrent messages of
one user never lose an update.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from pydantic import Field

from apis.shared.aws import DependencyThrottledError, from_item, to_item, translate_aws_errors
from apis.shared.errors import ConflictError
from apis.shared.quota.models import Money, PeriodType
from apis.shared.quota.table import PERIOD_COST_INDEX
from apis.shared.schema import CamelModel

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "CostRecord",
    "CostRepository",
    "CostSummary",
    "ModelCost",
    "PricingSnapshot",
    "TokenUsage",
    "message_cost",
    "period_key",
]

logger = logging.getLogger(__name__)

_MILLION = Decimal(1_000_000)
_CENT_PRECISION = Decimal("0.000001")
_RECORD_TTL = timedelta(days=365)
_TRANSACTION_ATTEMPTS = 4


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


def period_key(moment: datetime, period_type: PeriodType) -> str:
    """``YYYY-MM`` for monthly periods, ``YYYY-MM-DD`` for daily ones (UTC)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d" if period_type is PeriodType.DAILY else "%Y-%m")


class CostRecord(CamelModel):
    """The cost of one assistant message."""

    user_id: str
    session_id: str
    message_id: int = Field(ge=0)
    timestamp: str
    usage: TokenUsage
    pricing: PricingSnapshot
    cost: Money
    cache_savings: Money = Decimal(0)


class ModelCost(CamelModel):
    model_id: str
    model_name: str = ""
    provider: str = ""
    cost: Money = Decimal(0)
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


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


@dataclass(frozen=True)
class _Totals:
    cost: Decimal
    savings: Decimal
    usage: TokenUsage


class CostRepository:
    """Cost records (in the sessions-metadata table) and usage summaries (in the cost-summary table)."""

    def __init__(
        self, client: DynamoDBClient, *, summary_table: str, records_table: str, sleep: Any = time.sleep
    ) -> None:
        self._client = client
        self._summary_table = summary_table
        self._records_table = records_table
        self._sleep = sleep

    def record(self, record: CostRecord) -> bool:
        """Record a message's cost and add it to the user's monthly and daily totals, atomically.

        Returns False when this message was already recorded (a retry), True otherwise.
        """
        moment = datetime.fromisoformat(record.timestamp.replace("Z", "+00:00"))
        totals = _Totals(record.cost, record.cache_savings, record.usage)
        writes: list[Any] = [
            {
                "Put": {
                    "TableName": self._records_table,
                    "Item": self._record_item(record, moment),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            self._summary_update(record.user_id, period_key(moment, PeriodType.MONTHLY), totals, record.timestamp),
            self._summary_update(record.user_id, period_key(moment, PeriodType.DAILY), totals, record.timestamp),
            self._model_update(record, period_key(moment, PeriodType.MONTHLY)),
        ]
        for attempt in range(1, _TRANSACTION_ATTEMPTS + 1):
            try:
                with translate_aws_errors("cost: transact_write_items", on_condition_failed=_AlreadyRecordedError):
                    self._client.transact_write_items(TransactItems=writes)
            except _AlreadyRecordedError:
                logger.info("cost of message %s/%s was already recorded", record.session_id, record.message_id)
                return False
            except DependencyThrottledError:
                # Concurrent messages of one user touch the same summary items, and
                # DynamoDB cancels a transaction that collides; a short jittered
                # retry settles it. After the last attempt the error propagates.
                if attempt == _TRANSACTION_ATTEMPTS:
                    raise
                self._sleep(random.uniform(0.01, 0.05) * attempt)
            else:
                return True
        return True  # pragma: no cover (the loop returns or raises)

    def _record_item(self, record: CostRecord, moment: datetime) -> dict[str, Any]:
        values = {
            "PK": f"USER#{record.user_id}",
            "SK": f"C#{record.timestamp}#{record.session_id}#{record.message_id}",
            "GSI1PK": f"USER#{record.user_id}",
            "GSI1SK": record.timestamp,
            "GSI_PK": f"SESSION#{record.session_id}",
            "GSI_SK": f"C#{record.timestamp}",
            "ttl": int((moment + _RECORD_TTL).timestamp()),
            **record.model_dump(by_alias=True),
        }
        return to_item(values)

    def _summary_update(self, user_id: str, period: str, totals: _Totals, timestamp: str) -> dict[str, Any]:
        usage = totals.usage
        return {
            "Update": {
                "TableName": self._summary_table,
                "Key": to_item({"PK": f"USER#{user_id}", "SK": f"PERIOD#{period}"}),
                "UpdateExpression": (
                    "ADD totalCost :cost, totalRequests :one, totalInputTokens :input, totalOutputTokens :output, "
                    "totalCacheReadTokens :cacheRead, totalCacheWriteTokens :cacheWrite, cacheSavings :savings "
                    "SET lastUpdated = :now, userId = :user, period = :period, GSI2PK = :periodKey"
                ),
                "ExpressionAttributeValues": to_item(
                    {
                        ":cost": totals.cost,
                        ":one": 1,
                        ":input": usage.input_tokens,
                        ":output": usage.output_tokens,
                        ":cacheRead": usage.cache_read_input_tokens,
                        ":cacheWrite": usage.cache_write_input_tokens,
                        ":savings": totals.savings,
                        ":now": timestamp,
                        ":user": user_id,
                        ":period": period,
                        ":periodKey": f"PERIOD#{period}",
                    }
                ),
            }
        }

    def _model_update(self, record: CostRecord, period: str) -> dict[str, Any]:
        pricing = record.pricing
        return {
            "Update": {
                "TableName": self._summary_table,
                "Key": to_item({"PK": f"USER#{record.user_id}", "SK": f"PERIOD#{period}#MODEL#{pricing.model_id}"}),
                "UpdateExpression": (
                    "ADD modelCost :cost, requests :one, inputTokens :input, outputTokens :output "
                    "SET modelId = :model, modelName = :name, provider = :provider"
                ),
                "ExpressionAttributeValues": to_item(
                    {
                        ":cost": record.cost,
                        ":one": 1,
                        ":input": record.usage.input_tokens,
                        ":output": record.usage.output_tokens,
                        ":model": pricing.model_id,
                        ":name": pricing.model_name,
                        ":provider": pricing.provider,
                    }
                ),
            }
        }

    def summary(self, user_id: str, period: str) -> CostSummary:
        """The user's totals for ``period`` (zeros when nothing was recorded), with the per-model breakdown."""
        with translate_aws_errors("cost-summary: query"):
            response = self._client.query(
                TableName=self._summary_table,
                KeyConditionExpression="PK = :user AND begins_with(SK, :period)",
                ExpressionAttributeValues=to_item({":user": f"USER#{user_id}", ":period": f"PERIOD#{period}"}),
                ConsistentRead=True,
            )
        summary = CostSummary(user_id=user_id, period=period)
        models: list[ModelCost] = []
        for values in map(from_item, response.get("Items", [])):
            sk = str(values["SK"])
            if sk == f"PERIOD#{period}":
                summary = CostSummary.model_validate({**values, "userId": user_id, "period": period})
            elif sk.startswith(f"PERIOD#{period}#MODEL#"):
                models.append(ModelCost.model_validate({**values, "cost": values.get("modelCost", 0)}))
        return summary.model_copy(update={"models": sorted(models, key=lambda m: m.cost, reverse=True)})

    def current_usage(self, user_id: str, period: str) -> Decimal:
        """Total cost of ``user_id`` in ``period`` (a day or a month)."""
        with translate_aws_errors("cost-summary: get_item"):
            response = self._client.get_item(
                TableName=self._summary_table,
                Key=to_item({"PK": f"USER#{user_id}", "SK": f"PERIOD#{period}"}),
                ProjectionExpression="totalCost",
                ConsistentRead=True,
            )
        value = from_item(response.get("Item", {})).get("totalCost", 0)
        return Decimal(value)

    def top_users(self, period: str, *, limit: int = 10) -> list[CostSummary]:
        """The period's biggest spenders, most expensive first."""
        with translate_aws_errors(f"cost-summary: query {PERIOD_COST_INDEX}"):
            response = self._client.query(
                TableName=self._summary_table,
                IndexName=PERIOD_COST_INDEX,
                KeyConditionExpression="GSI2PK = :period",
                ExpressionAttributeValues=to_item({":period": f"PERIOD#{period}"}),
                ScanIndexForward=False,
                Limit=max(1, min(limit, 100)),
            )
        return [CostSummary.model_validate(from_item(item)) for item in response.get("Items", [])]


class _AlreadyRecordedError(ConflictError):
    """This message's cost is already recorded."""
