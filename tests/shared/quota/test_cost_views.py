"""The cost views: exact figures from what ``record()`` wrote, on this project's table and on the original's.

The original system created ``PeriodCostIndex`` with an INCLUDE projection of
``userId, totalCost, totalRequests, lastUpdated``; tables made from
``COST_SUMMARY_TABLE`` project everything. Every view must give the same figures
on both (reading the items themselves where the index lacks an attribute), read
the items the original and apis-shared 1.5.0 left behind, and fail loudly.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from botocore.stub import Stubber

from apis.shared.aws import DependencyThrottledError, to_item
from apis.shared.errors import InputValidationError
from apis.shared.quota import (
    COST_RECORDS_TABLE,
    COST_SUMMARY_TABLE,
    CostRepository,
    CostSummary,
    DailyCost,
    ModelCost,
    ModelUsage,
    TokenUsage,
    UserCostTotal,
    cost_sort_key,
)
from tests.support.aws import table
from tests.support.calls import counted_calls
from tests.support.cost_records import HAIKU, SONNET, cost_record
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault

HAIKU_ID, SONNET_ID = HAIKU.model_id, SONNET.model_id
SUMMARY_TABLE, RECORDS_TABLE = "user-cost-summary", "sessions-metadata"
ORIGINAL_PROJECTION = ["userId", "totalCost", "totalRequests", "lastUpdated"]


# November 2026: ada 0.002 + 0.021 + 0.0021, bob 0.06, cy 0.002; bob also spends 0.002 on 1 December.
MESSAGES = [
    cost_record("ada", 0, "2026-11-03T10:00:00Z", HAIKU, input_tokens=1000, output_tokens=200),
    cost_record("ada", 1, "2026-11-03T23:59:59Z", SONNET, input_tokens=2000, output_tokens=1000),
    cost_record("ada", 2, "2026-11-30T23:59:59Z", HAIKU, input_tokens=1000, output_tokens=200,
                cache_read_input_tokens=1000),
    cost_record("bob", 0, "2026-11-03T12:00:00Z", SONNET, input_tokens=10000, output_tokens=2000),
    cost_record("bob", 1, "2026-12-01T00:00:00Z", HAIKU, input_tokens=1000, output_tokens=200),
    cost_record("cy", 0, "2026-11-15T08:00:00Z", HAIKU, input_tokens=1000, output_tokens=200),
]  # fmt: skip


def create_original_summary_table(client: Any) -> str:
    """The cost-summary table exactly as the original CDK stack defined it (INCLUDE projection)."""
    client.create_table(
        TableName=SUMMARY_TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK", "GSI2PK", "GSI2SK")
        ],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "PeriodCostIndex",
                "KeySchema": [
                    {"AttributeName": "GSI2PK", "KeyType": "HASH"},
                    {"AttributeName": "GSI2SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ORIGINAL_PROJECTION},
            }
        ],
    )
    return SUMMARY_TABLE


@pytest.fixture(params=["this-project", "original-include"])
def table_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def costs(dynamodb: Any, table_kind: str) -> CostRepository:
    if table_kind == "original-include":
        create_original_summary_table(dynamodb)
    else:
        table(dynamodb, SUMMARY_TABLE, COST_SUMMARY_TABLE)
    return CostRepository(
        dynamodb,
        summary_table=SUMMARY_TABLE,
        records_table=table(dynamodb, RECORDS_TABLE, COST_RECORDS_TABLE),
        sleep=lambda seconds: None,
    )


@pytest.fixture
def recorded(costs: CostRepository) -> CostRepository:
    for message in MESSAGES:
        assert costs.record(message) is True
    return costs


@pytest.fixture
def batch_gets(dynamodb: Any) -> list[dict[str, Any]]:
    """Every BatchGetItem request the client makes."""
    calls: list[dict[str, Any]] = []
    dynamodb.meta.events.register(
        "provide-client-params.dynamodb.BatchGetItem", lambda params, **_: calls.append(params)
    )
    return calls


def item(client: Any, sk: str, pk: str) -> dict[str, Any]:
    return client.get_item(TableName=SUMMARY_TABLE, Key=to_item({"PK": pk, "SK": sk}), ConsistentRead=True)["Item"]


def test_the_sort_key_is_the_originals_format() -> None:
    assert cost_sort_key(Decimal("125.50")) == "COST#000000000012550"
    assert cost_sort_key(Decimal("1.999")) == "COST#000000000000199"
    assert cost_sort_key(Decimal("0.009")) == "COST#000000000000000"


def test_record_keeps_every_index_key_in_step(recorded: CostRepository, dynamodb: Any) -> None:
    ada_month = item(dynamodb, "PERIOD#2026-11", "USER#ada")
    assert ada_month["GSI2PK"] == {"S": "PERIOD#2026-11"}
    assert ada_month["GSI2SK"] == {"S": "COST#000000000000002"}  # 2.51 cents, truncated
    assert item(dynamodb, "PERIOD#2026-11", "USER#bob")["GSI2SK"] == {"S": "COST#000000000000006"}
    day = item(dynamodb, "PERIOD#2026-11-03", "USER#ada")
    assert (day["GSI2PK"], day["GSI2SK"]) == ({"S": "PERIOD#2026-11#DAYS"}, {"S": "2026-11-03#ada"})
    assert Decimal(day["totalCost"]["N"]) == Decimal("0.023") and day["userId"] == {"S": "ada"}
    model = item(dynamodb, f"PERIOD#2026-11#MODEL#{SONNET_ID}", "USER#ada")
    assert (model["GSI2PK"], model["GSI2SK"]) == ({"S": "PERIOD#2026-11#MODELS"}, {"S": f"{SONNET_ID}#ada"})
    assert (model["userId"], Decimal(model["totalCost"]["N"]), model["totalRequests"]) == (
        {"S": "ada"}, Decimal("0.021"), {"N": "1"})  # fmt: skip


def test_a_users_month_with_its_models(recorded: CostRepository) -> None:
    month = recorded.summary("ada", "2026-11")
    assert (month.total_cost, month.total_requests) == (Decimal("0.0251"), 3)
    assert (month.total_input_tokens, month.total_output_tokens, month.total_cache_read_tokens) == (4000, 1400, 1000)
    assert month.cache_savings == Decimal("0.0009")
    assert month.models == [
        ModelCost(model_id=SONNET_ID, model_name="Claude Sonnet 4.5", provider="bedrock", cost=Decimal("0.021"),
                  requests=1, input_tokens=2000, output_tokens=1000, cache_read_tokens=0, cache_write_tokens=0),
        ModelCost(model_id=HAIKU_ID, model_name="Claude Haiku 4.5", provider="bedrock", cost=Decimal("0.0041"),
                  requests=2, input_tokens=2000, output_tokens=400, cache_read_tokens=1000, cache_write_tokens=0),
    ]  # fmt: skip


def test_top_spenders_and_every_users_total(recorded: CostRepository) -> None:
    november = [
        UserCostTotal(user_id="bob", period="2026-11", total_cost=Decimal("0.06"), total_requests=1,
                      last_updated="2026-11-03T12:00:00Z"),
        UserCostTotal(user_id="ada", period="2026-11", total_cost=Decimal("0.0251"), total_requests=3,
                      last_updated="2026-11-30T23:59:59Z"),
        UserCostTotal(user_id="cy", period="2026-11", total_cost=Decimal("0.002"), total_requests=1,
                      last_updated="2026-11-15T08:00:00Z"),
    ]  # fmt: skip
    assert recorded.top_spenders("2026-11", limit=10) == november
    assert recorded.top_spenders("2026-11", limit=2) == november[:2]
    assert recorded.period_user_totals("2026-11") == november
    # The sort key holds whole cents; the exact total decides the threshold.
    assert recorded.top_spenders("2026-11", min_cost=Decimal("0.0251")) == november[:2]
    assert recorded.top_spenders("2026-11", min_cost=Decimal("0.0252")) == november[:1]
    assert recorded.top_spenders("2026-10") == []


def test_every_users_month_and_day(recorded: CostRepository, table_kind: str, batch_gets: list[Any]) -> None:
    summaries = recorded.period_summaries("2026-11")
    assert [(s.user_id, s.total_cost, s.total_requests, s.total_input_tokens, s.total_output_tokens, s.cache_savings)
            for s in summaries] == [
        ("bob", Decimal("0.06"), 1, 10000, 2000, Decimal(0)),
        ("ada", Decimal("0.0251"), 3, 4000, 1400, Decimal("0.0009")),
        ("cy", Decimal("0.002"), 1, 1000, 200, Decimal(0)),
    ]  # fmt: skip
    assert [[(m.model_id, m.cost, m.requests) for m in s.models] for s in summaries] == [
        [(SONNET_ID, Decimal("0.06"), 1)],
        [(SONNET_ID, Decimal("0.021"), 1), (HAIKU_ID, Decimal("0.0041"), 2)],
        [(HAIKU_ID, Decimal("0.002"), 1)],
    ]
    day = recorded.period_summaries("2026-11-03")
    assert [(s.user_id, s.total_cost, s.total_requests, s.total_input_tokens) for s in day] == [
        ("bob", Decimal("0.06"), 1, 10000),
        ("ada", Decimal("0.023"), 2, 3000),
    ]
    # The original's index lacks the token totals and model names: the items are read, consistently.
    if table_kind == "original-include":
        assert len(batch_gets) == 3
        assert all(call["RequestItems"][SUMMARY_TABLE]["ConsistentRead"] is True for call in batch_gets)
    else:
        assert batch_gets == []


def test_model_usage_and_daily_totals(recorded: CostRepository) -> None:
    assert recorded.model_usage("2026-11") == [
        ModelUsage(model_id=SONNET_ID, model_name="Claude Sonnet 4.5", provider="bedrock", total_cost=Decimal("0.081"),
                   total_requests=2, total_input_tokens=12000, total_output_tokens=3000, unique_users=2),
        ModelUsage(model_id=HAIKU_ID, model_name="Claude Haiku 4.5", provider="bedrock", total_cost=Decimal("0.0061"),
                   total_requests=3, total_input_tokens=3000, total_output_tokens=600, unique_users=2),
    ]  # fmt: skip
    assert recorded.daily_totals(date(2026, 11, 1), date(2026, 12, 31)) == [
        DailyCost(date="2026-11-03", total_cost=Decimal("0.083"), total_requests=3, active_users=2),
        DailyCost(date="2026-11-15", total_cost=Decimal("0.002"), total_requests=1, active_users=1),
        DailyCost(date="2026-11-30", total_cost=Decimal("0.0021"), total_requests=1, active_users=1),
        DailyCost(date="2026-12-01", total_cost=Decimal("0.002"), total_requests=1, active_users=1),
    ]
    assert [d.date for d in recorded.daily_totals(date(2026, 11, 15), date(2026, 11, 30))] == ["2026-11-15",
                                                                                              "2026-11-30"]  # fmt: skip
    assert recorded.daily_totals(date(2026, 11, 4), date(2026, 11, 14)) == []


def test_a_users_records_by_whole_utc_days(recorded: CostRepository) -> None:
    first_day = recorded.user_records("ada", date(2026, 11, 3), date(2026, 11, 3))
    assert [(r.message_id, r.cost, r.pricing.model_id) for r in first_day] == [
        (0, Decimal("0.002"), HAIKU_ID),
        (1, Decimal("0.021"), SONNET_ID),
    ]
    rest = recorded.user_records("ada", date(2026, 11, 4), date(2026, 11, 30))
    assert rest == [MESSAGES[2]]
    assert recorded.user_records("ada", date(2026, 12, 1), date(2026, 12, 31)) == []
    assert recorded.user_records("ada", date(2026, 11, 30), date(2026, 11, 1)) == []


MONTH_OR_DAY = "The period must be a month (YYYY-MM) or a day (YYYY-MM-DD)"
MONTH_ONLY = "The period must be a month (YYYY-MM)"
REFUSED = [
    ("period_summaries", "demo", MONTH_OR_DAY),
    ("period_summaries", "2026-11-3", MONTH_OR_DAY),
    ("top_users", "demo", MONTH_OR_DAY),
    ("top_users", "2026", MONTH_OR_DAY),
    ("model_usage", "2026-11-03", MONTH_ONLY),
    ("top_spenders", "2026-11-03", MONTH_ONLY),
    ("top_spenders", "demo", MONTH_ONLY),
    ("period_user_totals", "2026-11-03", MONTH_ONLY),
    ("period_user_totals", "", MONTH_ONLY),
]


@pytest.mark.parametrize(("view", "period", "message"), REFUSED)
def test_periods_that_are_not_months_or_days_are_refused(
    costs: CostRepository, dynamodb: Any, view: str, period: str, message: str
) -> None:
    with counted_calls(dynamodb) as calls, pytest.raises(InputValidationError) as raised:
        getattr(costs, view)(period)
    assert (raised.value.status_code, raised.value.code.value) == (422, "validation_error")
    assert (raised.value.message, raised.value.field) == (message, "period")
    assert calls == Counter()


def test_a_days_top_users_are_its_biggest_spenders(recorded: CostRepository, table_kind: str,
                                                   batch_gets: list[Any]) -> None:  # fmt: skip
    """1.5.0's ``top_users`` gave a day's top spenders for a ``YYYY-MM-DD`` period: it still does."""
    bob = CostSummary(
        user_id="bob",
        period="2026-11-03",
        total_cost=Decimal("0.06"),
        total_requests=1,
        total_input_tokens=10000,
        total_output_tokens=2000,
        last_updated="2026-11-03T12:00:00Z",
    )
    ada = CostSummary(
        user_id="ada",
        period="2026-11-03",
        total_cost=Decimal("0.023"),
        total_requests=2,
        total_input_tokens=3000,
        total_output_tokens=1200,
        last_updated="2026-11-03T23:59:59Z",
    )
    assert recorded.top_users("2026-11-03", limit=1) == [bob]
    # Only the kept entries are read whole where the index does not carry them.
    assert [call["RequestItems"][SUMMARY_TABLE]["Keys"] for call in batch_gets] == (
        [[{"PK": {"S": "USER#bob"}, "SK": {"S": "PERIOD#2026-11-03"}}]] if table_kind == "original-include" else []
    )
    assert recorded.top_users("2026-11-03") == [bob, ada]
    assert recorded.top_users("2026-11-30") == [CostSummary(
        user_id="ada", period="2026-11-30", total_cost=Decimal("0.0021"), total_requests=1, total_input_tokens=1000,
        total_output_tokens=200, total_cache_read_tokens=1000, cache_savings=Decimal("0.0009"),
        last_updated="2026-11-30T23:59:59Z")]  # fmt: skip
    assert recorded.top_users("2026-11-04") == []
    assert [(s.user_id, s.total_cost) for s in recorded.top_users("2026-11", limit=2)] == [
        ("bob", Decimal("0.06")), ("ada", Decimal("0.0251"))]  # fmt: skip


@pytest.mark.parametrize("writing_order", [("ada", "bob"), ("bob", "ada")])
def test_the_top_n_cut_follows_the_exact_totals_within_a_cent(
    costs: CostRepository, dynamodb: Any, writing_order: tuple[str, str]
) -> None:
    """Both totals are under a cent: one sort key (COST#0…0), whose order DynamoDB leaves open."""
    spent = {"ada": {"input_tokens": 900, "output_tokens": 1000}, "bob": {"input_tokens": 100, "output_tokens": 1000}}
    for user in writing_order:
        costs.record(cost_record(user, 0, "2026-11-03T10:00:00Z", HAIKU, **spent[user]))
    with counted_calls(dynamodb) as calls:
        top = costs.top_spenders("2026-11", limit=1)
    assert top == [UserCostTotal(user_id="ada", period="2026-11", total_cost=Decimal("0.0059"), total_requests=1,
                                 last_updated="2026-11-03T10:00:00Z")]  # fmt: skip
    assert calls == Counter({"Query": 2})  # the ranking, then every row of the last row's key
    assert [s.user_id for s in costs.top_users("2026-11", limit=1)] == ["ada"]
    assert [(r.user_id, r.total_cost) for r in costs.top_spenders("2026-11", limit=2)] == [
        ("ada", Decimal("0.0059")), ("bob", Decimal("0.0051"))]  # fmt: skip
    # A third user a cent above: the cut falls between keys, and the ranking stays one query.
    costs.record(cost_record("cy", 0, "2026-11-03T11:00:00Z", HAIKU, output_tokens=3000))
    with counted_calls(dynamodb) as calls:
        assert [r.user_id for r in costs.top_spenders("2026-11", limit=1)] == ["cy"]
    assert calls == Counter({"Query": 1})


def test_a_threshold_keeps_the_originals_rows_written_a_cent_low(costs: CostRepository, dynamodb: Any) -> None:
    """The original wrote ``COST#<int(float(total) * 100)>``: 0.29 became COST#…028."""
    dynamodb.put_item(TableName=SUMMARY_TABLE, Item=to_item({
        "PK": "USER#olga", "SK": "PERIOD#2026-11", "userId": "olga", "totalCost": Decimal("0.29"),
        "totalRequests": 2, "totalInputTokens": 1000, "totalOutputTokens": 100, "lastUpdated": "2026-11-20T08:15:00Z",
        "GSI2PK": "PERIOD#2026-11", "GSI2SK": "COST#000000000000028"}))  # fmt: skip
    costs.record(cost_record("ada", 0, "2026-11-03T10:00:00Z", HAIKU, output_tokens=56000))  # 0.28
    olga = UserCostTotal(user_id="olga", period="2026-11", total_cost=Decimal("0.29"), total_requests=2,
                         last_updated="2026-11-20T08:15:00Z")  # fmt: skip
    assert costs.top_spenders("2026-11", min_cost=Decimal("0.29")) == [olga]
    assert costs.top_spenders("2026-11", limit=1, min_cost=Decimal("0.29")) == [olga]
    assert [r.user_id for r in costs.top_spenders("2026-11", min_cost=Decimal("0.28"))] == ["olga", "ada"]
    assert costs.top_spenders("2026-11", min_cost=Decimal("0.2901")) == []
    assert [r.user_id for r in costs.top_spenders("2026-11", min_cost=Decimal("0.005"))] == ["olga", "ada"]


# ---------------------------------------------------------------------------- data others wrote


ORIGINAL_HAIKU_KEY = "us_anthropic_claude_haiku_4_5_20251001_v1_0"


def put_original_month(client: Any) -> None:
    """A monthly item as the original backend left it: totals, GSI2 keys and a ``modelBreakdown`` map."""
    client.put_item(TableName=SUMMARY_TABLE, Item=to_item({
        "PK": "USER#olga", "SK": "PERIOD#2026-11", "userId": "olga",
        "totalCost": Decimal("1.2345"), "totalRequests": 3, "totalInputTokens": 30000, "totalOutputTokens": 6000,
        "totalCacheReadTokens": 500, "totalCacheWriteTokens": 100, "cacheSavings": Decimal("0.00045"),
        "lastUpdated": "2026-11-20T08:15:00.123456+00:00", "periodStart": "2026-11-01T00:00:00Z",
        "periodEnd": "2026-11-31T23:59:59Z", "GSI2PK": "PERIOD#2026-11", "GSI2SK": "COST#000000000000123",
        "modelBreakdown": {
            ORIGINAL_HAIKU_KEY: {"modelName": "Claude Haiku 4.5", "provider": "bedrock", "cost": Decimal("0.2345"),
                                 "requests": 2, "inputTokens": 20000, "outputTokens": 2000, "cacheReadTokens": 500,
                                 "cacheWriteTokens": 100},
            "gpt_4o": {"modelName": "GPT-4o", "provider": "openai", "cost": Decimal("1.0"), "requests": 1,
                       "inputTokens": 10000, "outputTokens": 4000, "cacheReadTokens": 0, "cacheWriteTokens": 0},
        },
    }))  # fmt: skip


def put_original_record(client: Any) -> None:
    """A per-message cost record as the original backend wrote it (``tokenUsage``/``modelInfo``)."""
    timestamp = "2026-11-20T08:15:00.123456+00:00"
    client.put_item(TableName=RECORDS_TABLE, Item=to_item({
        "PK": "USER#olga", "SK": f"C#{timestamp}#6f1c0e1a-0000-4000-8000-000000000001",
        "GSI1PK": "USER#olga", "GSI1SK": timestamp, "GSI_PK": "SESSION#old-session", "GSI_SK": f"C#{timestamp}",
        "sessionId": "old-session", "messageId": 7, "userId": "olga", "timestamp": timestamp, "ttl": 1826000000,
        "latency": {"timeToFirstToken": 420, "endToEndLatency": 1900},
        "tokenUsage": {"inputTokens": 10000, "outputTokens": 1000, "totalTokens": 11000,
                       "cacheReadInputTokens": 500, "cacheWriteInputTokens": 100},
        "modelInfo": {"modelId": HAIKU_ID, "modelName": "Claude Haiku 4.5", "provider": "bedrock",
                      "pricingSnapshot": {"inputPricePerMtok": Decimal("1.0"), "outputPricePerMtok": Decimal("5.0"),
                                          "cacheWritePricePerMtok": Decimal("1.25"),
                                          "cacheReadPricePerMtok": Decimal("0.1"), "currency": "USD",
                                          "snapshotAt": "2026-11-20T08:14:58+00:00"}},
        "attribution": {"userId": "olga", "sessionId": "old-session", "timestamp": timestamp},
        "cost": Decimal("0.015175"),
    }))  # fmt: skip


def test_the_originals_month_reads_with_its_model_breakdown(costs: CostRepository, dynamodb: Any) -> None:
    put_original_month(dynamodb)
    month = costs.summary("olga", "2026-11")
    assert (month.total_cost, month.total_requests, month.cache_savings) == (Decimal("1.2345"), 3, Decimal("0.00045"))
    assert [(m.model_id, m.model_name, m.provider, m.cost, m.requests, m.input_tokens, m.cache_read_tokens)
            for m in month.models] == [
        ("gpt_4o", "GPT-4o", "openai", Decimal("1.0"), 1, 10000, 0),
        (ORIGINAL_HAIKU_KEY, "Claude Haiku 4.5", "bedrock", Decimal("0.2345"), 2, 20000, 500),
    ]  # fmt: skip
    top = costs.top_spenders("2026-11")
    assert top == [UserCostTotal(user_id="olga", period="2026-11", total_cost=Decimal("1.2345"), total_requests=3,
                                 last_updated="2026-11-20T08:15:00.123456+00:00")]  # fmt: skip
    # The month goes on under this project: the breakdown entry and the new model item are one model.
    costs.record(cost_record("olga", 0, "2026-11-25T09:00:00Z", HAIKU, input_tokens=1000, output_tokens=200))
    month = costs.summary("olga", "2026-11")
    assert month.total_cost == Decimal("1.2365")
    haiku = next(m for m in month.models if m.model_id == HAIKU_ID)
    assert (haiku.cost, haiku.requests, haiku.input_tokens, haiku.cache_read_tokens) == (Decimal("0.2365"), 3, 21000,
                                                                                          500)  # fmt: skip
    assert [m.model_id for m in month.models] == ["gpt_4o", HAIKU_ID]
    [olga] = costs.period_summaries("2026-11")
    assert olga.models == month.models and olga.total_cost == Decimal("1.2365")
    usage = {
        row.model_id: (row.total_cost, row.total_requests, row.unique_users) for row in costs.model_usage("2026-11")
    }
    assert usage == {"gpt_4o": (Decimal("1.0"), 1, 1), HAIKU_ID: (Decimal("0.2365"), 3, 1)}


def test_an_original_breakdown_entry_joins_the_model_anyone_used_that_month(
    costs: CostRepository, dynamodb: Any
) -> None:
    """olga and pat used Haiku under the original; only olga goes on under this project."""
    put_original_month(dynamodb)
    dynamodb.put_item(TableName=SUMMARY_TABLE, Item=to_item({
        "PK": "USER#pat", "SK": "PERIOD#2026-11", "userId": "pat", "totalCost": Decimal("0.5"), "totalRequests": 4,
        "totalInputTokens": 40000, "totalOutputTokens": 4000, "totalCacheReadTokens": 0, "totalCacheWriteTokens": 0,
        "cacheSavings": 0, "lastUpdated": "2026-11-10T10:00:00.000000+00:00", "GSI2PK": "PERIOD#2026-11",
        "GSI2SK": "COST#000000000000050",
        "modelBreakdown": {ORIGINAL_HAIKU_KEY: {"modelName": "Claude Haiku 4.5", "provider": "bedrock",
                                                "cost": Decimal("0.5"), "requests": 4, "inputTokens": 40000,
                                                "outputTokens": 4000, "cacheReadTokens": 0, "cacheWriteTokens": 0}},
    }))  # fmt: skip
    costs.record(cost_record("olga", 0, "2026-11-25T09:00:00Z", HAIKU, input_tokens=1000, output_tokens=200))
    assert costs.model_usage("2026-11") == [
        ModelUsage(model_id="gpt_4o", model_name="GPT-4o", provider="openai", total_cost=Decimal("1.0"),
                   total_requests=1, total_input_tokens=10000, total_output_tokens=4000, unique_users=1),
        ModelUsage(model_id=HAIKU_ID, model_name="Claude Haiku 4.5", provider="bedrock", total_cost=Decimal("0.7365"),
                   total_requests=7, total_input_tokens=61000, total_output_tokens=6200, unique_users=2),
    ]  # fmt: skip
    pat = next(summary for summary in costs.period_summaries("2026-11") if summary.user_id == "pat")
    assert pat.models == [ModelCost(model_id=HAIKU_ID, model_name="Claude Haiku 4.5", provider="bedrock",
                                    cost=Decimal("0.5"), requests=4, input_tokens=40000, output_tokens=4000,
                                    cache_read_tokens=0, cache_write_tokens=0)]  # fmt: skip


def test_the_originals_cost_records_read_exactly(costs: CostRepository, dynamodb: Any) -> None:
    put_original_record(dynamodb)
    [record] = costs.user_records("olga", date(2026, 11, 20), date(2026, 11, 20))
    assert (record.user_id, record.session_id, record.message_id) == ("olga", "old-session", 7)
    assert record.timestamp == "2026-11-20T08:15:00.123456+00:00"
    assert record.cost == Decimal("0.015175")
    assert record.usage == TokenUsage(input_tokens=10000, output_tokens=1000, cache_read_input_tokens=500,
                                      cache_write_input_tokens=100)  # fmt: skip
    assert (record.pricing.model_id, record.pricing.model_name, record.pricing.provider) == (HAIKU_ID,
                                                                                             "Claude Haiku 4.5",
                                                                                             "bedrock")  # fmt: skip
    assert record.pricing.input_price_per_million_tokens == Decimal("1.0")
    assert record.pricing.cache_read_price_per_million_tokens == Decimal("0.1")
    assert record.cache_savings == Decimal("0.00045")  # 500 cached tokens at 1.0 - 0.1 per million


def put_release_1_5_0_month(client: Any) -> None:
    """ada's month as 1.5.0 left it: per-model ``modelCost``/``requests``/… items outside the index."""
    for model_id, cost in ((HAIKU_ID, Decimal("0.5")), (SONNET_ID, Decimal("0.25"))):
        client.put_item(TableName=SUMMARY_TABLE, Item=to_item({
            "PK": "USER#ada", "SK": f"PERIOD#2026-11#MODEL#{model_id}", "modelId": model_id, "modelName": model_id,
            "provider": "bedrock", "modelCost": cost, "requests": 1, "inputTokens": 100, "outputTokens": 10,
        }))  # fmt: skip
    client.put_item(TableName=SUMMARY_TABLE, Item=to_item({
        "PK": "USER#ada", "SK": "PERIOD#2026-11", "userId": "ada", "period": "2026-11", "GSI2PK": "PERIOD#2026-11",
        "totalCost": Decimal("0.75"), "totalRequests": 2, "totalInputTokens": 200, "totalOutputTokens": 20,
        "totalCacheReadTokens": 0, "totalCacheWriteTokens": 0, "cacheSavings": 0,
        "lastUpdated": "2026-11-02T00:00:00Z"}))  # fmt: skip


def test_items_of_release_1_5_0_add_up_with_new_ones(costs: CostRepository, dynamodb: Any) -> None:
    """1.5.0 wrote per-model ``modelCost``/``requests``/``inputTokens``/``outputTokens``, and no index keys."""
    put_release_1_5_0_month(dynamodb)
    costs.record(cost_record("ada", 0, "2026-11-03T10:00:00Z", HAIKU, input_tokens=1000, output_tokens=200))
    month = costs.summary("ada", "2026-11")
    assert month.total_cost == Decimal("0.752")
    assert [(m.model_id, m.cost, m.requests, m.input_tokens, m.output_tokens, m.cache_read_tokens)
            for m in month.models] == [
        (HAIKU_ID, Decimal("0.502"), 2, 1100, 210, None),  # the 1.5.0 part has no cache tokens per model
        (SONNET_ID, Decimal("0.25"), 1, 100, 10, None),
    ]  # fmt: skip
    # Only the model item written since is in the index: the month's total tells, and the user's items are read.
    [ada] = costs.period_summaries("2026-11")
    assert ada.total_cost == Decimal("0.752") and ada.models == month.models
    assert costs.top_spenders("2026-11")[0].total_cost == Decimal("0.752")


# ---------------------------------------------------------------------------- the exact requests


def ranking_row(user: str, cost: str) -> dict[str, Any]:
    """A monthly item's entry in the original's ``PeriodCostIndex`` (its projection)."""
    return {"PK": {"S": f"USER#{user}"}, "SK": {"S": "PERIOD#2026-11"}, "GSI2PK": {"S": "PERIOD#2026-11"},
            "GSI2SK": {"S": cost_sort_key(Decimal(cost))}, "userId": {"S": user}, "totalCost": {"N": cost},
            "totalRequests": {"N": "1"}}  # fmt: skip


def index_key(user: str, cost: str) -> dict[str, Any]:
    return {name: ranking_row(user, cost)[name] for name in ("PK", "SK", "GSI2PK", "GSI2SK")}


def test_top_spenders_is_one_query_on_the_period_index(dynamodb: Any) -> None:
    costs = CostRepository(dynamodb, summary_table=SUMMARY_TABLE, records_table=RECORDS_TABLE)
    # One row more than asked: it tells whether the cut falls inside one sort key.
    expected = {
        "TableName": SUMMARY_TABLE,
        "IndexName": "PeriodCostIndex",
        "KeyConditionExpression": "GSI2PK = :period",
        "ExpressionAttributeValues": {":period": {"S": "PERIOD#2026-11"}},
        "ScanIndexForward": False,
        "Limit": 21,
    }
    rows = [{"PK": {"S": "USER#bob"}, "SK": {"S": "PERIOD#2026-11"}, "GSI2PK": {"S": "PERIOD#2026-11"},
             "GSI2SK": {"S": "COST#000000000000006"}, "userId": {"S": "bob"}, "totalCost": {"N": "0.06"},
             "totalRequests": {"N": "1"}, "lastUpdated": {"S": "2026-11-03T12:00:00Z"}}]  # fmt: skip
    with Stubber(dynamodb) as stubber:
        stubber.add_response("query", {"Items": rows}, expected)
        top = costs.top_spenders("2026-11", limit=20)
        stubber.assert_no_pending_responses()
    assert top == [UserCostTotal(user_id="bob", period="2026-11", total_cost=Decimal("0.06"), total_requests=1,
                                 last_updated="2026-11-03T12:00:00Z")]  # fmt: skip
    with Stubber(dynamodb) as stubber:
        # The row after the cut has a lower key: nothing beyond it can outrank the kept ones.
        page = {"Items": [ranking_row("bob", "0.06"), ranking_row("ada", "0.0251")],
                "LastEvaluatedKey": index_key("ada", "0.0251")}  # fmt: skip
        stubber.add_response("query", page, expected | {"Limit": 2})
        assert [row.user_id for row in costs.top_spenders("2026-11", limit=1)] == ["bob"]
        stubber.assert_no_pending_responses()


def test_top_spenders_reads_on_when_a_page_falls_short(dynamodb: Any) -> None:
    costs = CostRepository(dynamodb, summary_table=SUMMARY_TABLE, records_table=RECORDS_TABLE)
    condition = "GSI2PK = :period AND GSI2SK >= :minCost"
    # A cent below the threshold's key: the original wrote its keys up to a cent low.
    values = {":period": {"S": "PERIOD#2026-11"}, ":minCost": {"S": "COST#000000000000001"}}
    first = {"TableName": SUMMARY_TABLE, "IndexName": "PeriodCostIndex", "KeyConditionExpression": condition,
             "ExpressionAttributeValues": values, "ScanIndexForward": False, "Limit": 3}  # fmt: skip
    last_key = index_key("ada", "0.0251")
    with Stubber(dynamodb) as stubber:
        # ada (0.0251) is in the threshold's cent but below it: left out, and the next page is read.
        page = {"Items": [ranking_row("bob", "0.06"), ranking_row("ada", "0.0251")], "LastEvaluatedKey": last_key}
        stubber.add_response("query", page, first)
        stubber.add_response("query", {"Items": [ranking_row("eve", "0.0252")]},
                             first | {"Limit": 2, "ExclusiveStartKey": last_key})  # fmt: skip
        top = costs.top_spenders("2026-11", limit=2, min_cost=Decimal("0.0252"))
        stubber.assert_no_pending_responses()
    assert [(row.user_id, row.total_cost) for row in top] == [("bob", Decimal("0.06")), ("eve", Decimal("0.0252"))]


def test_a_cut_inside_one_sort_key_reads_that_whole_key(dynamodb: Any) -> None:
    costs = CostRepository(dynamodb, summary_table=SUMMARY_TABLE, records_table=RECORDS_TABLE)
    ranking = {"TableName": SUMMARY_TABLE, "IndexName": "PeriodCostIndex", "KeyConditionExpression": "GSI2PK = :period",
               "ExpressionAttributeValues": {":period": {"S": "PERIOD#2026-11"}}, "ScanIndexForward": False,
               "Limit": 2}  # fmt: skip
    tie = {
        "TableName": SUMMARY_TABLE,
        "IndexName": "PeriodCostIndex",
        "KeyConditionExpression": "GSI2PK = :period AND GSI2SK = :last",
        "ExpressionAttributeValues": {":period": {"S": "PERIOD#2026-11"}, ":last": {"S": "COST#000000000000000"}},
    }
    with Stubber(dynamodb) as stubber:
        stubber.add_response(
            "query",
            {
                "Items": [ranking_row("ada", "0.0051"), ranking_row("bob", "0.0059")],
                "LastEvaluatedKey": index_key("bob", "0.0059"),
            },
            ranking,
        )
        # Every row of the last row's key, page by page: cy, read last, spent the most.
        stubber.add_response(
            "query", {"Items": [ranking_row("ada", "0.0051")], "LastEvaluatedKey": index_key("ada", "0.0051")}, tie
        )
        stubber.add_response(
            "query",
            {"Items": [ranking_row("bob", "0.0059"), ranking_row("cy", "0.0099")]},
            tie | {"ExclusiveStartKey": index_key("ada", "0.0051")},
        )
        top = costs.top_spenders("2026-11", limit=1)
        stubber.assert_no_pending_responses()
    assert top == [UserCostTotal(user_id="cy", period="2026-11", total_cost=Decimal("0.0099"), total_requests=1)]


def test_a_users_summary_reads_every_page(dynamodb: Any) -> None:
    costs = CostRepository(dynamodb, summary_table=SUMMARY_TABLE, records_table=RECORDS_TABLE)
    request = {"TableName": SUMMARY_TABLE, "KeyConditionExpression": "PK = :user AND begins_with(SK, :period)",
               "ExpressionAttributeValues": {":user": {"S": "USER#ada"}, ":period": {"S": "PERIOD#2026-11"}},
               "ConsistentRead": True}  # fmt: skip
    month = to_item({"PK": "USER#ada", "SK": "PERIOD#2026-11", "userId": "ada", "totalCost": Decimal("0.0251"),
                     "totalRequests": 3, "totalInputTokens": 4000, "totalOutputTokens": 1400,
                     "lastUpdated": "2026-11-30T23:59:59Z"})  # fmt: skip

    def model(model_id: str, cost: str, requests: int) -> dict[str, Any]:
        return to_item({"PK": "USER#ada", "SK": f"PERIOD#2026-11#MODEL#{model_id}", "modelId": model_id,
                        "totalCost": Decimal(cost), "totalRequests": requests, "totalInputTokens": 2000,
                        "totalOutputTokens": 700 - 100 * requests})  # fmt: skip

    day = to_item({"PK": "USER#ada", "SK": "PERIOD#2026-11-03", "totalCost": Decimal("0.023")})
    after_haiku = {"PK": month["PK"], "SK": {"S": f"PERIOD#2026-11#MODEL#{HAIKU_ID}"}}
    with Stubber(dynamodb) as stubber:
        stubber.add_response("query", {"Items": [month, model(HAIKU_ID, "0.0041", 2)], "LastEvaluatedKey": after_haiku},
                             request)  # fmt: skip
        # The day's item shares the prefix and is left out.
        stubber.add_response("query", {"Items": [model(SONNET_ID, "0.021", 1), day]},
                             request | {"ExclusiveStartKey": after_haiku})  # fmt: skip
        summary = costs.summary("ada", "2026-11")
        stubber.assert_no_pending_responses()
    assert (summary.total_cost, summary.total_requests, summary.total_input_tokens) == (Decimal("0.0251"), 3, 4000)
    assert summary.models == [
        ModelCost(model_id=SONNET_ID, cost=Decimal("0.021"), requests=1, input_tokens=2000, output_tokens=600,
                  cache_read_tokens=0, cache_write_tokens=0),
        ModelCost(model_id=HAIKU_ID, cost=Decimal("0.0041"), requests=2, input_tokens=2000, output_tokens=500,
                  cache_read_tokens=0, cache_write_tokens=0),
    ]  # fmt: skip


def test_a_users_records_are_read_page_by_page(dynamodb: Any) -> None:
    costs = CostRepository(dynamodb, summary_table=SUMMARY_TABLE, records_table=RECORDS_TABLE)
    request = {"TableName": RECORDS_TABLE, "IndexName": "UserTimestampIndex",
               "KeyConditionExpression": "GSI1PK = :user AND GSI1SK BETWEEN :start AND :end",
               "ExpressionAttributeValues": {":user": {"S": "USER#ada"}, ":start": {"S": "2026-11-03"},
                                             ":end": {"S": "2026-11-04"}}}  # fmt: skip

    def stored(record: Any) -> dict[str, Any]:
        sk = f"C#{record.timestamp}#{record.session_id}#{record.message_id}"
        return to_item({"PK": "USER#ada", "SK": sk, "GSI1PK": "USER#ada", "GSI1SK": record.timestamp,
                        **record.model_dump(by_alias=True)})  # fmt: skip

    first, second = stored(MESSAGES[0]), stored(MESSAGES[1])
    after_first = {"PK": first["PK"], "SK": first["SK"], "GSI1PK": first["GSI1PK"], "GSI1SK": first["GSI1SK"]}
    with Stubber(dynamodb) as stubber:
        stubber.add_response("query", {"Items": [first], "LastEvaluatedKey": after_first}, request)
        stubber.add_response("query", {"Items": [second]}, request | {"ExclusiveStartKey": after_first})
        records = costs.user_records("ada", date(2026, 11, 3), date(2026, 11, 3))
        stubber.assert_no_pending_responses()
    assert records == MESSAGES[:2]


def test_unprocessed_keys_are_read_again_then_refused(dynamodb: Any) -> None:
    sleeps: list[float] = []
    costs = CostRepository(dynamodb, summary_table=SUMMARY_TABLE, records_table=RECORDS_TABLE, sleep=sleeps.append)
    entry = {"PK": {"S": "USER#bob"}, "SK": {"S": "PERIOD#2026-11-03"}, "GSI2PK": {"S": "PERIOD#2026-11#DAYS"},
             "GSI2SK": {"S": "2026-11-03#bob"}, "userId": {"S": "bob"}, "totalCost": {"N": "0.06"},
             "totalRequests": {"N": "1"}}  # fmt: skip
    full = entry | {"totalInputTokens": {"N": "10000"}, "totalOutputTokens": {"N": "2000"}}
    key = {"PK": entry["PK"], "SK": entry["SK"]}
    unprocessed = {"UnprocessedKeys": {SUMMARY_TABLE: {"Keys": [key], "ConsistentRead": True}}}
    with Stubber(dynamodb) as stubber:
        stubber.add_response("query", {"Items": [entry]})
        stubber.add_response("batch_get_item", {"Responses": {SUMMARY_TABLE: []}, **unprocessed})
        stubber.add_response("batch_get_item", {"Responses": {SUMMARY_TABLE: [full]}},
                             {"RequestItems": {SUMMARY_TABLE: {"Keys": [key], "ConsistentRead": True}}})  # fmt: skip
        [bob] = costs.period_summaries("2026-11-03")
        stubber.assert_no_pending_responses()
    assert (bob.total_cost, bob.total_input_tokens, bob.total_output_tokens) == (Decimal("0.06"), 10000, 2000)
    with Stubber(dynamodb) as stubber:
        stubber.add_response("query", {"Items": [entry]})
        for _ in range(5):
            stubber.add_response("batch_get_item", {"Responses": {SUMMARY_TABLE: []}, **unprocessed})
        with pytest.raises(DependencyThrottledError):
            costs.period_summaries("2026-11-03")
    assert len(sleeps) == 1 + 4


# ---------------------------------------------------------------------------- failures


VIEWS = {
    "summary": ("Query", lambda c: c.summary("ada", "2026-11")),
    "user_records": ("Query", lambda c: c.user_records("ada", date(2026, 11, 1), date(2026, 11, 30))),
    "top_users": ("Query", lambda c: c.top_users("2026-11")),
    "top_users_of_a_day": ("Query", lambda c: c.top_users("2026-11-03")),
    "top_users_of_a_day_items": ("BatchGetItem", lambda c: c.top_users("2026-11-03")),
    "top_spenders": ("Query", lambda c: c.top_spenders("2026-11")),
    "period_user_totals": ("Query", lambda c: c.period_user_totals("2026-11")),
    "period_summaries": ("Query", lambda c: c.period_summaries("2026-11")),
    "period_summaries_items": ("BatchGetItem", lambda c: c.period_summaries("2026-11")),
    "model_usage": ("Query", lambda c: c.model_usage("2026-11")),
    "daily_totals": ("Query", lambda c: c.daily_totals(date(2026, 11, 1), date(2026, 11, 30))),
}


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("table_kind", ["original-include"])
def test_every_view_raises_dynamodb_failures(costs: CostRepository, view: str, fault: Fault) -> None:
    costs.record(MESSAGES[1])  # a month whose items the original's index only partly carries
    operation, invoke = VIEWS[view]
    with inject_fault(costs._client, operation, fault) as failed, pytest.raises(fault.error) as raised:
        invoke(costs)
    assert failed[0] == operation
    assert_fault(raised.value, fault)


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("table_kind", ["this-project"])
def test_reading_a_users_own_model_items_raises_dynamodb_failures(
    costs: CostRepository, dynamodb: Any, fault: Fault
) -> None:
    """The month's model items in the index miss 1.5.0's: the user's own items are queried, and that can fail."""
    put_release_1_5_0_month(dynamodb)
    costs.record(MESSAGES[0])  # puts ada's month in the index; 1.5.0's model items stay outside it
    failed: list[str] = []

    def fail_the_table_query(params: dict[str, Any], **_: Any) -> None:
        if "IndexName" not in json.loads(params["body"]):
            failed.append("Query")
            raise fault.exception("Query")

    dynamodb.meta.events.register("before-call.dynamodb.Query", fail_the_table_query)
    try:
        with pytest.raises(fault.error) as raised:
            costs.period_summaries("2026-11")
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb.Query", fail_the_table_query)
    assert failed == ["Query"]
    assert_fault(raised.value, fault)
    [ada] = costs.period_summaries("2026-11")
    assert [(m.model_id, m.cost) for m in ada.models] == [(HAIKU_ID, Decimal("0.502")), (SONNET_ID, Decimal("0.25"))]
