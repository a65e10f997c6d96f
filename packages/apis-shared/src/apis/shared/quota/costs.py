"""What a message cost, the usage totals the quota is checked against, and the cost views over them.

Recording a message's cost is one DynamoDB transaction: the cost record (whose
key is the message's own, so a retried write cannot count twice), the monthly
and the daily summary, and the per-model item of the month, all with atomic
``ADD``. Nothing is read and written back, so concurrent messages of one user
never lose an update.

The cost-summary table's ``PeriodCostIndex`` (``GSI2PK``/``GSI2SK``, strings, as the
original system defined it) holds three partitions per month:

- ``PERIOD#<YYYY-MM>``: each user's monthly item, sorted by
  ``COST#<15-digit cents of totalCost, truncated>``: the top spenders are one query
  (two when users beyond the cut share the last one's cent);
- ``PERIOD#<YYYY-MM>#MODELS``: each user's per-model items, ``<modelId>#<userId>``;
- ``PERIOD#<YYYY-MM>#DAYS``: each user's daily items, ``<YYYY-MM-DD>#<userId>``.

The original created the index with an INCLUDE projection of ``userId``,
``totalCost``, ``totalRequests`` and ``lastUpdated``; tables created from
``COST_SUMMARY_TABLE`` project everything. Every read gives the same exact figures
on both: a view that needs an attribute the index did not carry reads the items
themselves (``BatchGetItem``, strongly consistent).
"""

from __future__ import annotations

import logging
import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from apis.shared.aws import (
    DependencyAccessDeniedError,
    DependencyThrottledError,
    batch_get_all,
    from_item,
    to_item,
    translate_aws_errors,
)
from apis.shared.errors import (
    ConflictError,
    DependencyTimeoutError,
    DependencyUnavailableError,
    InputValidationError,
)
from apis.shared.quota.cost_items import (
    merge_model_costs,
    model_cost_from_item,
    record_from_item,
    summary_from_item,
    user_total_from_item,
)
from apis.shared.quota.cost_models import (
    CostRecord,
    CostSummary,
    DailyCost,
    ModelCost,
    ModelUsage,
    PricingSnapshot,
    TokenUsage,
    UserCostTotal,
    message_cost,
    summarize_model_usage,
)
from apis.shared.quota.models import PeriodType
from apis.shared.quota.table import PERIOD_COST_INDEX
from apis.shared.tables import USER_TIMESTAMP_INDEX
from apis.shared.timestamps import parse_utc

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "CostRecord",
    "CostRepository",
    "CostSummary",
    "DailyCost",
    "ModelCost",
    "ModelUsage",
    "PricingSnapshot",
    "TokenUsage",
    "UserCostTotal",
    "cost_sort_key",
    "message_cost",
    "period_key",
    "summarize_model_usage",
]

logger = logging.getLogger(__name__)

_RECORD_TTL = timedelta(days=365)
_TRANSACTION_ATTEMPTS = 4
_TOP_USERS_MAX = 1000
_TOP_USERS_1X_MAX = 100
_CENT = Decimal("0.01")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Attributes every writer sets on every write of the item and the original's index
# does not project: an index entry without one is a projection, not the item.
_UNPROJECTED_SUMMARY_ATTRIBUTE = "totalInputTokens"
_UNPROJECTED_MODEL_ATTRIBUTE = "modelId"


def period_key(moment: datetime, period_type: PeriodType) -> str:
    """``YYYY-MM`` for monthly periods, ``YYYY-MM-DD`` for daily ones (UTC)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d" if period_type is PeriodType.DAILY else "%Y-%m")


def cost_sort_key(total_cost: Decimal) -> str:
    """The ``GSI2SK`` of a monthly item: ``COST#`` and the total in whole cents (truncated), 15 digits."""
    cents = int((total_cost * 100).to_integral_value(rounding=ROUND_DOWN))
    return f"COST#{max(cents, 0):015d}"


def _month_partition(month: str) -> str:
    return f"PERIOD#{month}"


def _models_partition(month: str) -> str:
    return f"PERIOD#{month}#MODELS"


def _days_partition(month: str) -> str:
    return f"PERIOD#{month}#DAYS"


def _require_month(period: str) -> None:
    if not _MONTH.match(period):
        raise InputValidationError("The period must be a month (YYYY-MM)", field="period")


def _most_expensive_first(row: CostSummary | UserCostTotal) -> tuple[Decimal, str]:
    return -row.total_cost, row.user_id


def _months(start: date, end: date) -> Iterator[tuple[str, date, date]]:
    """Each month touching ``start``..``end``, with the part of the range inside it."""
    first = start
    while first <= end:
        following = (first.replace(day=1) + timedelta(days=32)).replace(day=1)
        last = min(end, following - timedelta(days=1))
        yield first.strftime("%Y-%m"), first, last
        first = following


@dataclass(frozen=True)
class _Totals:
    cost: Decimal
    savings: Decimal
    usage: TokenUsage


class CostRepository:
    """Cost records (in the sessions-metadata table) and usage summaries (in the cost-summary table).

    Every read raises the platform's dependency errors (``DependencyUnavailableError``
    and its throttled / access-denied kinds, ``DependencyTimeoutError``) when DynamoDB
    fails; no view is ever answered with zeros it did not read.
    """

    def __init__(
        self,
        client: DynamoDBClient,
        *,
        summary_table: str,
        records_table: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._summary_table = summary_table
        self._records_table = records_table
        self._sleep = sleep

    # ------------------------------------------------------------------ writing

    def record(self, record: CostRecord) -> bool:
        """Record a message's cost and add it to the user's monthly, daily and per-model totals, atomically.

        Returns False when this message was already recorded (a retry), True otherwise.

        Raises:
            DependencyThrottledError: the transaction kept colliding with others, or DynamoDB throttled it.
            DependencyAccessDeniedError: DynamoDB refused the credentials or a permission, for the
                transaction or for the ranking refresh after it (then the cost is recorded, and
                recording the message again returns False and refreshes the ranking).
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
        """
        moment = parse_utc(record.timestamp)
        month = period_key(moment, PeriodType.MONTHLY)
        day = period_key(moment, PeriodType.DAILY)
        totals = _Totals(record.cost, record.cache_savings, record.usage)
        writes: list[Any] = [
            {
                "Put": {
                    "TableName": self._records_table,
                    "Item": self._record_item(record, moment),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            self._summary_update(record, month, totals, partition=_month_partition(month),
                                 sort_key=cost_sort_key(record.cost), keep_sort_key=True),
            self._summary_update(record, day, totals, partition=_days_partition(month),
                                 sort_key=f"{day}#{record.user_id}", keep_sort_key=False),
            self._model_update(record, month),
        ]  # fmt: skip
        recorded = self._transact(writes, record)
        self._refresh_cost_sort_key(record.user_id, month)
        return recorded

    def _transact(self, writes: list[Any], record: CostRecord) -> bool:
        for attempt in range(1, _TRANSACTION_ATTEMPTS + 1):
            try:
                with translate_aws_errors("cost: transact_write_items", on_condition_failed=_AlreadyRecordedError):
                    self._client.transact_write_items(TransactItems=writes)
            except _AlreadyRecordedError:
                # JUSTIFICATION: the condition guards idempotency; a repeat of one message's cost
                # is reported as not recorded.
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

    def _refresh_cost_sort_key(self, user_id: str, month: str) -> None:
        """Move the monthly item to its place in the period's ranking.

        The total is ADDed inside the transaction, so its sort key can only be
        written after reading it back. The write is conditioned on the total
        still being the one read: when another message changed it meanwhile,
        that message's own refresh writes the newer key. A refused permission is
        raised; other failures are logged.
        """
        key = to_item({"PK": f"USER#{user_id}", "SK": f"PERIOD#{month}"})
        try:
            with translate_aws_errors("cost-summary: get_item"):
                response = self._client.get_item(
                    TableName=self._summary_table, Key=key, ProjectionExpression="totalCost", ConsistentRead=True
                )
            total = from_item(response.get("Item", {})).get("totalCost")
            if total is None:
                return
            with translate_aws_errors("cost-summary: update_item", on_condition_failed=_TotalMovedOnError):
                self._client.update_item(
                    TableName=self._summary_table,
                    Key=key,
                    UpdateExpression="SET GSI2SK = :sortKey",
                    ConditionExpression="totalCost = :seen",
                    ExpressionAttributeValues=to_item({":sortKey": cost_sort_key(Decimal(total)), ":seen": total}),
                )
        except _TotalMovedOnError:
            # JUSTIFICATION: a later message changed the total after this read; its
            # own refresh writes the newer sort key, so there is nothing left to do.
            return
        except DependencyAccessDeniedError:
            # A missing permission fails every refresh, for good: it must be seen, not logged away.
            raise
        except (DependencyUnavailableError, DependencyTimeoutError):
            # JUSTIFICATION: the sort key only orders the month's ranking; every figure
            # comes from totalCost, already committed with the record. The refresh of the
            # user's next message of the same month rewrites a stale key, so a failed
            # refresh on a month's last message is not repaired until that user's next
            # message there: when none follows, that month's ranking keeps placing the
            # user by the older key. Logged, not raised.
            logger.warning("could not refresh the cost sort key of user %s for %s", user_id, month, exc_info=True)

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

    def _summary_update(
        self, record: CostRecord, period: str, totals: _Totals, *, partition: str, sort_key: str, keep_sort_key: bool
    ) -> dict[str, Any]:
        usage = totals.usage
        # A monthly item's sort key is refreshed after the transaction; the first
        # write gives it one so that it is ranked at once.
        sort_key_value = "if_not_exists(GSI2SK, :sortKey)" if keep_sort_key else ":sortKey"
        return {
            "Update": {
                "TableName": self._summary_table,
                "Key": to_item({"PK": f"USER#{record.user_id}", "SK": f"PERIOD#{period}"}),
                "UpdateExpression": (
                    "ADD totalCost :cost, totalRequests :one, totalInputTokens :input, totalOutputTokens :output, "
                    "totalCacheReadTokens :cacheRead, totalCacheWriteTokens :cacheWrite, cacheSavings :savings "
                    "SET lastUpdated = :now, userId = :user, period = :period, GSI2PK = :partition, "
                    f"GSI2SK = {sort_key_value}"
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
                        ":now": record.timestamp,
                        ":user": record.user_id,
                        ":period": period,
                        ":partition": partition,
                        ":sortKey": sort_key,
                    }
                ),
            }
        }

    def _model_update(self, record: CostRecord, month: str) -> dict[str, Any]:
        pricing = record.pricing
        usage = record.usage
        return {
            "Update": {
                "TableName": self._summary_table,
                "Key": to_item({"PK": f"USER#{record.user_id}", "SK": f"PERIOD#{month}#MODEL#{pricing.model_id}"}),
                "UpdateExpression": (
                    "ADD totalCost :cost, totalRequests :one, totalInputTokens :input, totalOutputTokens :output, "
                    "totalCacheReadTokens :cacheRead, totalCacheWriteTokens :cacheWrite "
                    "SET modelId = :model, modelName = :name, provider = :provider, userId = :user, "
                    "period = :period, lastUpdated = :now, GSI2PK = :partition, GSI2SK = :sortKey"
                ),
                "ExpressionAttributeValues": to_item(
                    {
                        ":cost": record.cost,
                        ":one": 1,
                        ":input": usage.input_tokens,
                        ":output": usage.output_tokens,
                        ":cacheRead": usage.cache_read_input_tokens,
                        ":cacheWrite": usage.cache_write_input_tokens,
                        ":model": pricing.model_id,
                        ":name": pricing.model_name,
                        ":provider": pricing.provider,
                        ":user": record.user_id,
                        ":period": month,
                        ":now": record.timestamp,
                        ":partition": _models_partition(month),
                        ":sortKey": f"{pricing.model_id}#{record.user_id}",
                    }
                ),
            }
        }

    # ------------------------------------------------------------------ one user

    def summary(self, user_id: str, period: str) -> CostSummary:
        """The user's totals for ``period`` (a month or a day), with the month's per-model breakdown.

        Zeros only when nothing was recorded for the period.

        Raises:
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
        """
        monthly = f"PERIOD#{period}"
        summary = CostSummary(user_id=user_id, period=period)
        models: list[ModelCost] = []
        for values in self._query_pages(
            "cost-summary: query",
            TableName=self._summary_table,
            KeyConditionExpression="PK = :user AND begins_with(SK, :period)",
            ExpressionAttributeValues=to_item({":user": f"USER#{user_id}", ":period": monthly}),
            ConsistentRead=True,
        ):
            sk = str(values["SK"])
            if sk == monthly:
                summary = summary_from_item(values)
            elif sk.startswith(f"{monthly}#MODEL#"):
                models.append(model_cost_from_item(values))
        return summary.model_copy(update={"models": merge_model_costs(models, summary.models)})

    def current_usage(self, user_id: str, period: str) -> Decimal:
        """Total cost of ``user_id`` in ``period`` (a day or a month).

        Raises:
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
        """
        with translate_aws_errors("cost-summary: get_item"):
            response = self._client.get_item(
                TableName=self._summary_table,
                Key=to_item({"PK": f"USER#{user_id}", "SK": f"PERIOD#{period}"}),
                ProjectionExpression="totalCost",
                ConsistentRead=True,
            )
        value = from_item(response.get("Item", {})).get("totalCost", 0)
        return Decimal(value)

    def user_records(self, user_id: str, start: date, end: date) -> list[CostRecord]:
        """The user's per-message cost records from ``start`` to ``end`` (whole UTC days), oldest first.

        Records of the original system are read too (see ``apis.shared.quota.cost_items``).

        Raises:
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
        """
        if start > end:
            return []
        records: list[CostRecord] = []
        # Timestamps are UTC ISO strings: every one of the last day sorts below the next day's date.
        for values in self._query_pages(
            f"sessions-metadata: query {USER_TIMESTAMP_INDEX}",
            TableName=self._records_table,
            IndexName=USER_TIMESTAMP_INDEX,
            KeyConditionExpression="GSI1PK = :user AND GSI1SK BETWEEN :start AND :end",
            ExpressionAttributeValues=to_item(
                {
                    ":user": f"USER#{user_id}",
                    ":start": start.isoformat(),
                    ":end": (end + timedelta(days=1)).isoformat(),
                }
            ),
        ):
            if str(values.get("SK", "")).startswith("C#"):
                records.append(record_from_item(values))
        return records

    # ------------------------------------------------------------------ everyone

    def top_users(self, period: str, *, limit: int = 10) -> list[CostSummary]:
        """The biggest spenders of a month (``YYYY-MM``) or a day (``YYYY-MM-DD``), with their full summaries.

        The 1.x signature, kept for its callers: at most ``limit`` (1-100), most
        expensive first (ties by user id). A month is its ranking (``top_spenders``)
        and then each user's summary; a day ranks that day's summaries by their
        exact totals.

        Raises:
            InputValidationError: ``period`` is neither a month nor a day.
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
        """
        limit = max(1, min(limit, _TOP_USERS_1X_MAX))
        if _DAY.match(period):
            return self._day_summaries(period, limit=limit)
        if not _MONTH.match(period):
            raise InputValidationError("The period must be a month (YYYY-MM) or a day (YYYY-MM-DD)", field="period")
        return [self.summary(row.user_id, period) for row in self.top_spenders(period, limit=limit)]

    def top_spenders(self, period: str, *, limit: int = 10, min_cost: Decimal | None = None) -> list[UserCostTotal]:
        """The month's biggest spenders (at most ``limit``, 1-1000), most expensive first (ties by user id).

        One query on ``PeriodCostIndex`` for one row more than ``limit``: DynamoDB
        leaves the order of equal sort keys open (whole cents; every total under a
        cent has ``COST#0…0``), so when the extra row shares the last kept row's key,
        every row of that key is read (a second query, paged) and the exact totals
        decide the cut. More pages are read only when a page ends early or
        ``min_cost`` leaves rows out. ``min_cost`` keeps totals of at least that much.

        Raises:
            InputValidationError: ``period`` is not a month.
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
        """
        _require_month(period)
        limit = max(1, min(limit, _TOP_USERS_MAX))
        partition = _month_partition(period)
        condition = "GSI2PK = :period"
        values: dict[str, Any] = {":period": partition}
        if min_cost is not None:
            # The original system wrote the key as int(float(total) * 100), often a cent
            # low (0.29 is COST#…028); the exact filter below drops what is under min_cost.
            condition += " AND GSI2SK >= :minCost"
            values[":minCost"] = cost_sort_key(max(min_cost - _CENT, Decimal(0)))
        ranked: list[tuple[str, UserCostTotal]] = []  # (sort key, row), in the index's order
        start_key: dict[str, Any] | None = None
        while True:
            request: dict[str, Any] = {
                "TableName": self._summary_table,
                "IndexName": PERIOD_COST_INDEX,
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": to_item(values),
                "ScanIndexForward": False,
                "Limit": limit + 1 - len(ranked),
            }
            if start_key is not None:
                request["ExclusiveStartKey"] = start_key
            with translate_aws_errors(f"cost-summary: query {PERIOD_COST_INDEX}"):
                response = self._client.query(**request)
            for item in response.get("Items", []):
                entry = from_item(item)
                row = user_total_from_item(entry)
                # The sort key holds whole cents: the exact total decides.
                if min_cost is None or row.total_cost >= min_cost:
                    ranked.append((str(entry.get("GSI2SK", "")), row))
            start_key = response.get("LastEvaluatedKey")
            if len(ranked) > limit or not start_key:
                break
        rows = {row.user_id: row for _, row in ranked}
        if len(ranked) > limit and ranked[limit][0] == ranked[limit - 1][0]:
            for entry in self._query_pages(
                f"cost-summary: query {PERIOD_COST_INDEX}",
                TableName=self._summary_table,
                IndexName=PERIOD_COST_INDEX,
                KeyConditionExpression="GSI2PK = :period AND GSI2SK = :last",
                ExpressionAttributeValues=to_item({":period": partition, ":last": ranked[limit - 1][0]}),
            ):
                row = user_total_from_item(entry)
                if min_cost is None or row.total_cost >= min_cost:
                    rows[row.user_id] = row
        return sorted(rows.values(), key=_most_expensive_first)[:limit]

    def period_user_totals(self, period: str) -> list[UserCostTotal]:
        """Every user's total of the month, most expensive first.

        Raises:
            InputValidationError: ``period`` is not a month.
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
        """
        _require_month(period)
        rows = [user_total_from_item(values) for values in self._partition(_month_partition(period))]
        return sorted(rows, key=_most_expensive_first)

    def period_summaries(self, period: str) -> list[CostSummary]:
        """Every user's totals of a month (``YYYY-MM``, with per-model costs) or a day (``YYYY-MM-DD``).

        Most expensive first. An entry of an original ``modelBreakdown`` map is
        counted under the model id, among those anyone used in the month under this
        library, whose original key it is (see ``merge_model_costs``); an entry that
        matches none keeps its key.

        Raises:
            InputValidationError: ``period`` is neither a month nor a day.
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
        """
        if _DAY.match(period):
            return self._day_summaries(period)
        if not _MONTH.match(period):
            raise InputValidationError("The period must be a month (YYYY-MM) or a day (YYYY-MM-DD)", field="period")
        months = [summary_from_item(v) for v in self._complete(self._partition(_month_partition(period)),
                                                               _UNPROJECTED_SUMMARY_ATTRIBUTE)]  # fmt: skip
        models: dict[str, list[ModelCost]] = {}
        for values in self._complete(self._partition(_models_partition(period)), _UNPROJECTED_MODEL_ATTRIBUTE):
            models.setdefault(str(values["PK"]).removeprefix("USER#"), []).append(model_cost_from_item(values))
        # The original keyed its breakdown by a lossy form of the model id: the ids anyone
        # used this month name the entries of everyone's breakdown, not only their own.
        month_model_ids = sorted({model.model_id for user_models in models.values() for model in user_models})
        summaries = []
        for summary in months:
            breakdown = merge_model_costs(models.get(summary.user_id, []), summary.models,
                                          known_model_ids=month_model_ids)  # fmt: skip
            if sum((model.cost for model in breakdown), Decimal(0)) != summary.total_cost:
                # Every message adds the same cost to the month and to one model, so
                # the two agree unless some model items are not (yet) in the index:
                # those written before 1.6, or an index update still in flight.
                breakdown = merge_model_costs(self._user_model_costs(summary.user_id, period), summary.models,
                                              known_model_ids=month_model_ids)  # fmt: skip
            summaries.append(summary.model_copy(update={"models": breakdown}))
        return sorted(summaries, key=_most_expensive_first)

    def model_usage(self, period: str) -> list[ModelUsage]:
        """Everyone's use of each model in the month, most expensive first.

        Raises:
            InputValidationError: ``period`` is not a month.
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
        """
        _require_month(period)
        return summarize_model_usage(self.period_summaries(period))

    def daily_totals(self, start: date, end: date) -> list[DailyCost]:
        """Everyone's cost per UTC day from ``start`` to ``end``, oldest first; days without use are left out.

        Raises:
            DependencyUnavailableError, DependencyTimeoutError: DynamoDB failed.
        """
        days: dict[str, DailyCost] = {}
        for month, first, last in _months(start, end):
            # "$" sorts right after "#": every "<last day>#<userId>" key is below it.
            for values in self._partition(_days_partition(month), between=(first.isoformat(), f"{last.isoformat()}$")):
                day = str(values["GSI2SK"]).split("#", 1)[0]
                cost = Decimal(values.get("totalCost", 0))
                requests = int(values.get("totalRequests", 0))
                known = days.get(day)
                days[day] = (
                    DailyCost(date=day, total_cost=cost, total_requests=requests, active_users=1)
                    if known is None
                    else known.model_copy(
                        update={
                            "total_cost": known.total_cost + cost,
                            "total_requests": known.total_requests + requests,
                            "active_users": known.active_users + 1,
                        }
                    )
                )
        return [days[day] for day in sorted(days)]

    # ------------------------------------------------------------------ reading helpers

    def _query_pages(self, what: str, **request: Any) -> Iterator[dict[str, Any]]:
        while True:
            with translate_aws_errors(what):
                response = self._client.query(**request)
            yield from map(from_item, response.get("Items", []))
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                return
            request["ExclusiveStartKey"] = start_key

    def _partition(
        self, partition: str, *, sort_prefix: str | None = None, between: tuple[str, str] | None = None
    ) -> list[dict[str, Any]]:
        condition = "GSI2PK = :partition"
        values: dict[str, Any] = {":partition": partition}
        if sort_prefix is not None:
            condition += " AND begins_with(GSI2SK, :prefix)"
            values[":prefix"] = sort_prefix
        if between is not None:
            condition += " AND GSI2SK BETWEEN :low AND :high"
            values[":low"], values[":high"] = between
        return list(
            self._query_pages(
                f"cost-summary: query {PERIOD_COST_INDEX}",
                TableName=self._summary_table,
                IndexName=PERIOD_COST_INDEX,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=to_item(values),
            )
        )

    def _day_summaries(self, day: str, *, limit: int | None = None) -> list[CostSummary]:
        """The day's summaries, most expensive first; the first ``limit`` of them when given."""
        entries = self._partition(_days_partition(day[:7]), sort_prefix=f"{day}#")
        # Every projection carries the totals the ranking needs: only the kept entries are completed.
        kept = sorted(entries, key=lambda entry: _most_expensive_first(user_total_from_item(entry)))[:limit]
        summaries = [summary_from_item(values) for values in self._complete(kept, _UNPROJECTED_SUMMARY_ATTRIBUTE)]
        return sorted(summaries, key=_most_expensive_first)

    def _user_model_costs(self, user_id: str, month: str) -> list[ModelCost]:
        return [
            model_cost_from_item(values)
            for values in self._query_pages(
                "cost-summary: query",
                TableName=self._summary_table,
                KeyConditionExpression="PK = :user AND begins_with(SK, :models)",
                ExpressionAttributeValues=to_item({":user": f"USER#{user_id}", ":models": f"PERIOD#{month}#MODEL#"}),
                ConsistentRead=True,
            )
        ]

    def _complete(self, entries: list[dict[str, Any]], marker: str) -> list[dict[str, Any]]:
        """The items behind index entries: an entry without ``marker`` is replaced by its item."""
        partial = [entry for entry in entries if marker not in entry]
        if not partial:
            return entries
        items = {(item["PK"], item["SK"]): item for item in self._get_items([(e["PK"], e["SK"]) for e in partial])}
        complete = []
        for entry in entries:
            if marker in entry:
                complete.append(entry)
            elif (entry["PK"], entry["SK"]) in items:
                complete.append(items[(entry["PK"], entry["SK"])])
        return complete

    def _get_items(self, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
        typed_keys = [to_item({"PK": pk, "SK": sk}) for pk, sk in dict.fromkeys(keys)]
        items = batch_get_all(self._client, self._summary_table, typed_keys, consistent=True, sleep=self._sleep,
                              what="cost-summary: batch_get_item")  # fmt: skip
        return [from_item(item) for item in items]


class _AlreadyRecordedError(ConflictError):
    """This message's cost is already recorded."""


class _TotalMovedOnError(ConflictError):
    """The monthly total changed after it was read for the sort key."""
