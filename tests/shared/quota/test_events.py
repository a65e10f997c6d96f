"""Quota events are listed by time in the query itself: exact ``since`` and ``limit`` for every view."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from apis.shared.quota import QUOTA_EVENTS_TABLE, QuotaEventRepository, QuotaEventType
from apis.shared.quota.table import EVENT_TYPE_TIME_INDEX
from tests.support.calls import counted_calls
from tests.support.faults import FAULT_IDS, FAULTS, inject_fault

if TYPE_CHECKING:
    from tests.support.faults import Fault

# (user, tier, type, day of November 2026): recorded in this order, not in time order.
HISTORY = [
    ("u1", "t1", QuotaEventType.WARNING, 3),
    ("u2", "t2", QuotaEventType.BLOCK, 9),
    ("u3", "t1", QuotaEventType.OVERRIDE_APPLIED, 1),
    ("u1", "t1", QuotaEventType.BLOCK, 7),
    ("u2", "t1", QuotaEventType.RESET, 5),
    ("u3", "t2", QuotaEventType.WARNING, 8),
    ("u1", "t2", QuotaEventType.WARNING, 2),
]


def record(events: QuotaEventRepository, user: str, tier: str, kind: QuotaEventType, day: int) -> None:
    events.record(
        user_id=user, tier_id=tier, event_type=kind, current_usage=Decimal(1), quota_limit=Decimal(2),
        percentage_used=Decimal(50), timestamp=f"2026-11-{day:02d}T12:00:00.000Z",
    )  # fmt: skip


@pytest.fixture
def history(events: QuotaEventRepository) -> QuotaEventRepository:
    for entry in HISTORY:
        record(events, *entry)
    return events


def days(listed: list) -> list[int]:
    return [int(event.timestamp[8:10]) for event in listed]


def test_the_index_is_on_attributes_every_event_already_has() -> None:
    (index,) = [index for index in QUOTA_EVENTS_TABLE.indexes if index.name == EVENT_TYPE_TIME_INDEX]
    assert (index.hash_key, index.range_key) == ("eventType", "timestamp")


def test_everyone_since_a_time_newest_first(history: QuotaEventRepository) -> None:
    assert days(history.list_events()) == [9, 8, 7, 5, 3, 2, 1]
    assert days(history.list_events(since="2026-11-05T00:00:00Z")) == [9, 8, 7, 5]
    assert days(history.list_events(since="2026-11-05T00:00:00Z", limit=2)) == [9, 8]
    assert days(history.list_events(since="2026-11-10T00:00:00Z")) == []


def test_everyone_by_type_since_a_time(history: QuotaEventRepository) -> None:
    warnings = history.list_events(event_type=QuotaEventType.WARNING, since="2026-11-03T00:00:00Z")
    assert [(e.user_id, int(e.timestamp[8:10])) for e in warnings] == [("u3", 8), ("u1", 3)]


def test_by_user_and_by_tier_since_a_time(history: QuotaEventRepository) -> None:
    assert days(history.list_events(user_id="u1")) == [7, 3, 2]
    assert days(history.list_events(user_id="u1", since="2026-11-03T00:00:00Z")) == [7, 3]
    assert days(history.list_events(user_id="u1", tier_id="t1", limit=1)) == [7]
    assert days(history.list_events(user_id="u1", event_type=QuotaEventType.WARNING)) == [3, 2]
    assert days(history.list_events(tier_id="t1")) == [7, 5, 3, 1]
    assert days(history.list_events(tier_id="t1", since="2026-11-04T00:00:00Z")) == [7, 5]
    assert days(history.list_events(tier_id="t2", event_type=QuotaEventType.WARNING)) == [8, 2]


def test_the_unfiltered_view_queries_by_time_and_never_scans(history: QuotaEventRepository) -> None:
    with counted_calls(history._client) as calls:
        history.list_events(since="2026-11-05T00:00:00Z", limit=3)
    assert calls == {"Query": len(QuotaEventType)}, "one bounded query per event type, no scan"
    with counted_calls(history._client) as calls:
        history.list_events(event_type=QuotaEventType.BLOCK)
    assert calls == {"Query": 1}


def test_the_limit_holds_across_pages_of_each_partition(events: QuotaEventRepository) -> None:
    for day in range(1, 29):
        record(events, f"u{day}", "t1", QuotaEventType.WARNING if day % 2 else QuotaEventType.BLOCK, day)
    assert days(events.list_events(limit=5)) == [28, 27, 26, 25, 24]
    assert days(events.list_events(limit=3, since="2026-11-10T00:00:00Z", event_type=QuotaEventType.BLOCK)) == [
        28, 26, 24,
    ]  # fmt: skip


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_a_failed_read_is_the_typed_error_never_an_empty_list(history: QuotaEventRepository, fault: Fault) -> None:
    for view in ({}, {"user_id": "u1"}, {"tier_id": "t1"}):
        with inject_fault(history._client, "Query", fault), pytest.raises(fault.error):
            history.list_events(**view)
