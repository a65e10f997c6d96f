"""Cost accounting: prices, the atomic record-and-add transaction, daily and monthly totals, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from botocore.stub import ANY, Stubber

from apis.shared.aws import DependencyAccessDeniedError, DependencyThrottledError
from apis.shared.quota import (
    COST_RECORDS_TABLE,
    COST_SUMMARY_TABLE,
    CostRecord,
    CostRepository,
    PeriodType,
    PricingSnapshot,
    TokenUsage,
    message_cost,
    period_key,
)
from tests.support.aws import table
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault

PRICING = PricingSnapshot(
    model_id="claude-haiku",
    model_name="Claude Haiku",
    input_price_per_million_tokens=Decimal("1.00"),
    output_price_per_million_tokens=Decimal("5.00"),
    cache_read_price_per_million_tokens=Decimal("0.10"),
    cache_write_price_per_million_tokens=Decimal("1.25"),
)


def record(message_id: int = 0, *, user_id: str = "u1", timestamp: str = "2026-11-26T10:00:00Z", **usage) -> CostRecord:
    tokens = TokenUsage(**({"input_tokens": 1000, "output_tokens": 200} | usage))
    cost, savings = message_cost(tokens, PRICING)
    return CostRecord(
        user_id=user_id, session_id="s1", message_id=message_id, timestamp=timestamp, usage=tokens,
        pricing=PRICING, cost=cost, cache_savings=savings,
    )  # fmt: skip


def test_message_cost_prices_every_kind_of_token() -> None:
    usage = TokenUsage(input_tokens=1_000_000, output_tokens=100_000, cache_read_input_tokens=500_000,
                       cache_write_input_tokens=200_000)  # fmt: skip
    cost, savings = message_cost(usage, PRICING)
    assert cost == Decimal("1.00") + Decimal("0.50") + Decimal("0.05") + Decimal("0.25")
    assert savings == Decimal("0.45")
    assert usage.total_tokens == 1_800_000
    no_cache_prices = PRICING.model_copy(
        update={"cache_read_price_per_million_tokens": None, "cache_write_price_per_million_tokens": None}
    )
    assert message_cost(usage, no_cache_prices) == (Decimal("2.20"), Decimal("0"))


def test_period_keys() -> None:
    moment = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert period_key(moment, PeriodType.MONTHLY) == "2026-11"
    assert period_key(moment, PeriodType.DAILY) == "2026-11-26"


def test_recording_adds_to_monthly_and_daily_totals(costs: CostRepository) -> None:
    assert costs.record(record(0)) is True
    assert costs.record(record(1, timestamp="2026-11-27T09:00:00Z", cache_read_input_tokens=1000)) is True
    month = costs.summary("u1", "2026-11")
    assert month.total_requests == 2
    assert month.total_cost == Decimal("0.002") + Decimal("0.0021")
    assert month.total_input_tokens == 2000 and month.total_cache_read_tokens == 1000
    assert month.cache_savings == Decimal("0.0009")
    assert month.primary_model == "claude-haiku"
    assert month.models[0].requests == 2 and month.models[0].cost == month.total_cost
    assert costs.current_usage("u1", "2026-11-26") == Decimal("0.002")
    assert costs.current_usage("u1", "2026-11-27") == Decimal("0.0021")
    assert costs.current_usage("u1", "2026-10") == 0
    assert costs.summary("nobody", "2026-11").total_cost == 0


def test_a_retried_message_is_not_counted_twice(costs: CostRepository) -> None:
    assert costs.record(record(0)) is True
    assert costs.record(record(0)) is False
    assert costs.summary("u1", "2026-11").total_requests == 1


def test_top_users_of_a_period(costs: CostRepository) -> None:
    costs.record(record(0, user_id="small"))
    costs.record(record(0, user_id="big", output_tokens=100_000))
    top = costs.top_users("2026-11")
    assert [summary.user_id for summary in top] == ["big", "small"]
    # The 1.x contract: full summaries, per-model costs included.
    assert top[0].total_output_tokens == 100_000
    assert [model.requests for model in top[0].models] == [1]


def test_concurrent_messages_lose_no_update(serial_dynamodb) -> None:
    # A server that applies one request at a time, as DynamoDB does per item:
    # a read-modify-write recorder would lose updates here; atomic ADDs cannot.
    costs = CostRepository(
        serial_dynamodb,
        summary_table=table(serial_dynamodb, "user-cost-summary", COST_SUMMARY_TABLE),
        records_table=table(serial_dynamodb, "sessions-metadata", COST_RECORDS_TABLE),
    )
    threads_count, per_thread = 8, 15
    errors: list[BaseException] = []

    def worker(thread: int) -> None:
        try:
            for n in range(per_thread):
                costs.record(record(thread * 1000 + n))
        except BaseException as exc:  # noqa: BLE001 (collected and re-raised by the test)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    month = costs.summary("u1", "2026-11")
    assert month.total_requests == threads_count * per_thread
    assert month.total_cost == Decimal("0.002") * threads_count * per_thread
    assert costs.current_usage("u1", "2026-11-26") == month.total_cost
    # Whatever order the refreshes ran in, the ranking key ends on the final total.
    stored = serial_dynamodb.get_item(TableName="user-cost-summary",
                                      Key={"PK": {"S": "USER#u1"}, "SK": {"S": "PERIOD#2026-11"}})  # fmt: skip
    assert stored["Item"]["GSI2SK"] == {"S": "COST#000000000000024"}  # 120 x 0.002 = 0.24


def test_the_record_is_one_transaction_with_atomic_adds(dynamodb) -> None:
    costs = CostRepository(dynamodb, summary_table="sums", records_table="recs")
    captured: list[dict] = []
    dynamodb.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems", lambda params, **_: captured.append(params)
    )
    monthly_key = {"PK": {"S": "USER#u1"}, "SK": {"S": "PERIOD#2026-11"}}
    with Stubber(dynamodb) as stubber:
        stubber.add_response("transact_write_items", {}, {"TransactItems": ANY})
        # Then the monthly item's sort key follows the total the transaction left.
        stubber.add_response("get_item", {"Item": {"totalCost": {"N": "12.3456"}}},
                             {"TableName": "sums", "Key": monthly_key, "ProjectionExpression": "totalCost",
                              "ConsistentRead": True})  # fmt: skip
        stubber.add_response("update_item", {},
                             {"TableName": "sums", "Key": monthly_key, "UpdateExpression": "SET GSI2SK = :sortKey",
                              "ConditionExpression": "totalCost = :seen",
                              "ExpressionAttributeValues": {":sortKey": {"S": "COST#000000000001234"},
                                                            ":seen": {"N": "12.3456"}}})  # fmt: skip
        costs.record(record(3))
        stubber.assert_no_pending_responses()
    put, monthly, daily, model = captured[0]["TransactItems"]
    assert put["Put"]["ConditionExpression"] == "attribute_not_exists(PK)"
    assert put["Put"]["Item"]["SK"] == {"S": "C#2026-11-26T10:00:00Z#s1#3"}
    assert monthly["Update"]["Key"]["SK"] == {"S": "PERIOD#2026-11"}
    assert daily["Update"]["Key"]["SK"] == {"S": "PERIOD#2026-11-26"}
    assert model["Update"]["Key"]["SK"] == {"S": "PERIOD#2026-11#MODEL#claude-haiku"}
    for update in (monthly, daily, model):
        assert update["Update"]["UpdateExpression"].startswith("ADD ")
    values = [update["Update"]["ExpressionAttributeValues"] for update in (monthly, daily, model)]
    index_keys = [(value[":partition"]["S"], value[":sortKey"]["S"]) for value in values]
    assert index_keys == [
        ("PERIOD#2026-11", "COST#000000000000000"),
        ("PERIOD#2026-11#DAYS", "2026-11-26#u1"),
        ("PERIOD#2026-11#MODELS", "claude-haiku#u1"),
    ]
    assert "GSI2SK = if_not_exists(GSI2SK, :sortKey)" in monthly["Update"]["UpdateExpression"]


def test_a_sort_key_another_message_moved_on_is_left_to_it(dynamodb, caplog: pytest.LogCaptureFixture) -> None:
    costs = CostRepository(dynamodb, summary_table="sums", records_table="recs")
    with Stubber(dynamodb) as stubber:
        stubber.add_response("transact_write_items", {})
        stubber.add_response("get_item", {"Item": {"totalCost": {"N": "1.5"}}})
        stubber.add_client_error("update_item", "ConditionalCheckFailedException")
        assert costs.record(record(3)) is True
        stubber.assert_no_pending_responses()
    assert caplog.records == []


PASSING_FAULTS = [fault for fault in FAULTS if fault.name != "access_denied"]


@pytest.mark.parametrize("fault", PASSING_FAULTS, ids=[fault.name for fault in PASSING_FAULTS])
@pytest.mark.parametrize("operation", ["GetItem", "UpdateItem"])
def test_a_failed_sort_key_refresh_keeps_the_record(
    costs: CostRepository, dynamodb, operation: str, fault: Fault, caplog: pytest.LogCaptureFixture
) -> None:
    costs.record(record(0))
    with inject_fault(dynamodb, operation, fault) as failed:
        assert costs.record(record(1, output_tokens=100_000)) is True
    assert failed == [operation]
    assert [r.getMessage() for r in caplog.records] == ["could not refresh the cost sort key of user u1 for 2026-11"]
    assert costs.summary("u1", "2026-11").total_cost == Decimal("0.002") + Decimal("0.501")
    assert costs.top_users("2026-11")[0].total_cost == Decimal("0.503")
    # The next message of the user puts the ranking right again.
    costs.record(record(2))
    stored = dynamodb.get_item(
        TableName="user-cost-summary", Key={"PK": {"S": "USER#u1"}, "SK": {"S": "PERIOD#2026-11"}}
    )
    assert stored["Item"]["GSI2SK"] == {"S": "COST#000000000000050"}


@pytest.mark.parametrize("operation", ["GetItem", "UpdateItem"])
def test_a_refused_permission_on_the_sort_key_refresh_is_raised(
    costs: CostRepository, dynamodb, operation: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A missing IAM permission would fail every refresh: it must surface, not leave the ranking stale for good."""
    [denied] = [fault for fault in FAULTS if fault.name == "access_denied"]
    costs.record(record(0))
    with inject_fault(dynamodb, operation, denied) as failed, pytest.raises(DependencyAccessDeniedError) as raised:
        costs.record(record(1, output_tokens=100_000))
    assert failed == [operation]
    assert_fault(raised.value, denied)
    assert caplog.records == []
    # The transaction went through before the refresh: the cost is counted once, and a retry of the
    # message records nothing new but moves the ranking key.
    assert costs.summary("u1", "2026-11").total_cost == Decimal("0.503")
    assert costs.record(record(1, output_tokens=100_000)) is False
    assert costs.summary("u1", "2026-11").total_requests == 2
    stored = dynamodb.get_item(
        TableName="user-cost-summary", Key={"PK": {"S": "USER#u1"}, "SK": {"S": "PERIOD#2026-11"}}
    )
    assert stored["Item"]["GSI2SK"] == {"S": "COST#000000000000050"}


def test_a_transaction_conflict_is_retried_then_raised(dynamodb) -> None:
    sleeps: list[float] = []
    costs = CostRepository(dynamodb, summary_table="sums", records_table="recs", sleep=sleeps.append)
    conflict = {"CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}]}
    with Stubber(dynamodb) as stubber:
        stubber.add_client_error("transact_write_items", "TransactionCanceledException", modeled_fields=conflict)
        stubber.add_response("transact_write_items", {})
        stubber.add_response("get_item", {})
        assert costs.record(record(1)) is True
        stubber.assert_no_pending_responses()
        for _ in range(4):
            stubber.add_client_error("transact_write_items", "TransactionCanceledException", modeled_fields=conflict)
        with pytest.raises(DependencyThrottledError):
            costs.record(record(2))
    assert len(sleeps) == 1 + 3


CALLS = {
    "record": ("TransactWriteItems", lambda c: c.record(record(0))),
    "summary": ("Query", lambda c: c.summary("u1", "2026-11")),
    "current_usage": ("GetItem", lambda c: c.current_usage("u1", "2026-11")),
    "top_users": ("Query", lambda c: c.top_users("2026-11")),
}


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_call_propagates_dynamodb_failures(costs: CostRepository, call: str, fault: Fault) -> None:
    operation, invoke = CALLS[call]
    with inject_fault(costs._client, operation, fault) as failed, pytest.raises(fault.error) as raised:
        invoke(costs)
    assert failed[0] == operation
    assert_fault(raised.value, fault)
