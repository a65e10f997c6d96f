"""Quota before the model call: exceeded is conversational, a warning is injected, a storage failure is 503."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.quota import CostRecord, CostRepository, PricingSnapshot, QuotaEventRepository, TokenUsage
from tests.inference_api.conftest import chat
from tests.support.faults import FAULT_IDS, FAULTS, inject_fault
from tests.support.sse import parse_sse

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def spend(dynamodb: Any, amount: str, message_id: int = 0) -> None:
    CostRepository(dynamodb, summary_table="user-cost-summary", records_table="sessions-metadata").record(
        CostRecord(
            user_id="111111111",
            session_id="earlier",
            message_id=message_id,
            timestamp=datetime.now(tz=UTC).isoformat(),
            usage=TokenUsage(input_tokens=1),
            pricing=PricingSnapshot(model_id="m"),
            cost=Decimal(amount),
        )
    )


def test_an_exceeded_quota_is_the_conversational_sequence(client: TestClient, dynamodb: Any) -> None:
    spend(dynamodb, "10.00")
    response = chat(client)
    assert response.status_code == 200
    frames = parse_sse(response.text)
    assert [f.event for f in frames] == ["message_start", "content_block_start", "content_block_delta",
                                         "content_block_stop", "message_stop", "quota_exceeded", "done"]  # fmt: skip
    assert frames[4].data == {"stopReason": "quota_exceeded"}
    exceeded = frames[5].data
    assert exceeded["type"] == "quota_exceeded"
    assert (exceeded["currentUsage"], exceeded["quotaLimit"], exceeded["percentageUsed"]) == (10.0, 10.0, 100.0)
    assert exceeded["periodType"] == "monthly" and exceeded["resetInfo"] and exceeded["message"]
    assert "quota" in frames[2].data["text"].lower()
    events = QuotaEventRepository(dynamodb, "quota-events").list_events(user_id="111111111")
    assert [e.event_type.value for e in events] == ["block"]


def test_a_warning_is_injected_before_the_answer(client: TestClient, dynamodb: Any) -> None:
    spend(dynamodb, "8.50")
    frames = parse_sse(chat(client).text)
    warning = frames[0]
    assert warning.event == "quota_warning"
    assert warning.data["type"] == "quota_warning" and warning.data["percentageUsed"] == 85.0
    assert {"warningLevel", "currentUsage", "quotaLimit", "remaining", "message"} <= set(warning.data)
    assert frames[1].event == "message_start" and frames[-1].event == "done"


@pytest.mark.parametrize("table", ["user-quotas", "user-cost-summary"])
@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_a_quota_storage_failure_is_503_not_a_free_pass(client: TestClient, dynamodb: Any, fault, table: str) -> None:
    with inject_fault(dynamodb, "GetItem", fault, table=table) as reads, \
            inject_fault(dynamodb, "Query", fault, table=table) as queries:  # fmt: skip
        response = chat(client)
    assert reads or queries, f"the quota check never read {table}"
    assert response.status_code == fault.status and response.json()["error"]["code"] == fault.code
    assert response.json()["error"]["message"]
