"""Settlement alone: a call's charge (reported or estimated), recorded once, and what happens when it cannot be."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from apis.inference_api.chat.settlement import TurnSettlement
from apis.shared.providers import StreamStop, TextDelta, UsageReport
from apis.shared.quota import CostRepository, QuotaCheckResult
from apis.shared.timestamps import utc_timestamp
from tests.inference_api.chat.conftest import ADA, FakeQuota, meter, question
from tests.support.faults import FAULTS, inject_fault

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apis.shared.catalog import ResolvedModel
    from apis.shared.metering import MeteredCall
    from apis.shared.providers import ModelEvent, ModelRequest
    from apis.shared.quota import CostRecord


class Says:
    name = "says"

    def __init__(self, *events: ModelEvent) -> None:
        self.events = events

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        yield from self.events


def records(dynamodb: Any) -> list[CostRecord]:
    costs = CostRepository(dynamodb, summary_table="user-cost-summary", records_table="sessions-metadata")
    today = datetime.now(tz=UTC).date()
    return costs.user_records(ADA.user_id, today, today)


def streamed(call: MeteredCall, *events: ModelEvent) -> None:
    list(call.stream(Says(*events)))


def test_a_call_that_reached_no_model_costs_nothing_and_records_nothing(call: MeteredCall, dynamodb: Any) -> None:
    settlement = TurnSettlement(call, user_id=ADA.user_id, session_id="s1")
    assert settlement.charge() is None
    assert settlement.record(message_id=1) is None
    assert records(dynamodb) == []
    assert settlement.pricing.model_id == call.model.model_id


def test_a_reported_usage_is_charged_at_the_models_prices_against_the_answer(call: MeteredCall, dynamodb: Any) -> None:
    streamed(call, TextDelta("Hi"), StreamStop("end_turn"), UsageReport(input_tokens=1000, output_tokens=200))
    settlement = TurnSettlement(call, user_id=ADA.user_id, session_id="s1")
    charge = settlement.charge()
    assert charge is not None and (charge.cost, charge.estimated) == (Decimal("0.002"), False)
    timestamp = utc_timestamp()
    assert settlement.record(message_id=3, timestamp=timestamp) == Decimal("0.002")
    settlement.settle(message_id=9)  # already recorded: not again
    (record,) = records(dynamodb)
    assert (record.session_id, record.message_id, record.purpose, record.cost, record.estimated) == (
        "s1", 3, "chat", Decimal("0.002"), False)  # fmt: skip
    assert record.timestamp == timestamp


def test_a_call_cut_short_is_settled_at_an_estimate(call: MeteredCall, dynamodb: Any) -> None:
    streamed(call, TextDelta("word " * 4))
    settlement = TurnSettlement(call, user_id=ADA.user_id, session_id="s1")
    settlement.settle(message_id=1)
    (record,) = records(dynamodb)
    # No usage report: "Be brief." and "Hello there" sent (3 + 3 tokens), 20 characters generated (5 tokens).
    assert (record.estimated, record.message_id, record.usage.input_tokens, record.usage.output_tokens) == (
        True, 1, 6, 5)  # fmt: skip
    assert record.cost == (6 * Decimal(1) + 5 * Decimal(5)) / 1_000_000


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_a_cost_that_cannot_be_recorded_is_logged_and_the_reservation_given_back(
    dynamodb: Any, priced: ResolvedModel, caplog: pytest.LogCaptureFixture, fault: Any
) -> None:
    quota = FakeQuota(QuotaCheckResult(allowed=True, message="ok"))
    call = meter(dynamodb, quota).admit(ADA, priced, question(), app_role_ids=())
    streamed(call, TextDelta("Hi"), UsageReport(input_tokens=10, output_tokens=2))
    settlement = TurnSettlement(call, user_id=ADA.user_id, session_id="s1")
    with caplog.at_level(logging.ERROR, logger="apis.inference_api.chat.settlement"), \
            inject_fault(dynamodb, "TransactWriteItems", fault) as failed:  # fmt: skip
        settlement.settle(message_id=1)
    # The cost repository retries a throttled write three times before it gives up.
    assert failed == ["TransactWriteItems"] * (4 if fault.name == "throttling" else 1)
    assert quota.released == 1
    assert [r.getMessage() for r in caplog.records if r.name == "apis.inference_api.chat.settlement"] == [
        "could not record the cost of a turn of user 111111111 in session s1"
    ]
    assert records(dynamodb) == []
