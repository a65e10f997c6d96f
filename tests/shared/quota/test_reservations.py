"""Quota reservations: calls in flight hold their bound, parallel admissions never overspend, expiry reclaims."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.auth import User
from apis.shared.quota import (
    COST_RECORDS_TABLE,
    COST_SUMMARY_TABLE,
    QUOTA_EVENTS_TABLE,
    QUOTAS_TABLE,
    ActionOnLimit,
    CostRecord,
    CostRepository,
    PeriodType,
    PricingSnapshot,
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaChecker,
    QuotaEventRepository,
    QuotaEventType,
    QuotaRepository,
    QuotaReservationRepository,
    QuotaResolver,
    TokenUsage,
)
from tests.shared.quota.conftest import tier_data
from tests.support.aws import table
from tests.support.clock import ManualClock
from tests.support.faults import FAULTS, inject_fault

if TYPE_CHECKING:
    from collections.abc import Callable

ADA = User("123456789", "ada@example.edu", "Ada", roles=("Faculty",))
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MONTH = "2026-11"


def reservations_on(client: Any, clock: Callable[[], float] = NOW.timestamp) -> QuotaReservationRepository:
    return QuotaReservationRepository(client, "user-cost-summary", reservation_seconds=900, clock=clock,
                                      sleep=lambda seconds: None)  # fmt: skip


def spend(costs: CostRepository, amount: str, message_id: int = 0, user_id: str = ADA.user_id) -> None:
    costs.record(CostRecord(user_id=user_id, session_id="earlier", message_id=message_id,
                            timestamp="2026-11-26T11:00:00.000Z", usage=TokenUsage(input_tokens=1),
                            pricing=PricingSnapshot(model_id="m"), cost=Decimal(amount)))  # fmt: skip


def test_a_reservation_holds_its_amount_until_released(costs: CostRepository, dynamodb: Any) -> None:
    reservations = reservations_on(dynamodb)
    outcome = reservations.reserve(ADA.user_id, MONTH, limit=Decimal(10), amount=Decimal("2.5"))
    assert outcome.reservation is not None and (outcome.usage, outcome.reserved) == (Decimal(0), Decimal(0))
    assert reservations.reserved(ADA.user_id, MONTH) == Decimal("2.5")
    assert reservations.release(outcome.reservation) is True
    assert reservations.reserved(ADA.user_id, MONTH) == Decimal(0)
    # Released twice frees nothing twice.
    assert reservations.release(outcome.reservation) is False
    assert reservations.reserved(ADA.user_id, MONTH) == Decimal(0)


def test_amounts_are_held_in_millionths_of_a_dollar_rounded_up(costs: CostRepository, dynamodb: Any) -> None:
    # Finer amounts left sums such as 0E-9 on the item, and the next admission failed (a 500 of moto's).
    reservations = reservations_on(dynamodb)
    for _ in range(3):
        outcome = reservations.reserve(ADA.user_id, MONTH, limit=Decimal(10), amount=Decimal("0.000000123"))
        assert outcome.reservation is not None and outcome.reservation.amount == Decimal("0.000001")
        assert reservations.reserved(ADA.user_id, MONTH) == Decimal("0.000001")
        assert reservations.release(outcome.reservation) is True
    assert reservations.reserved(ADA.user_id, MONTH) == Decimal(0)


def test_no_room_when_usage_plus_reservations_reach_the_limit(costs: CostRepository, dynamodb: Any) -> None:
    reservations = reservations_on(dynamodb)
    spend(costs, "6")
    first = reservations.reserve(ADA.user_id, MONTH, limit=Decimal(10), amount=Decimal(3))
    second = reservations.reserve(ADA.user_id, MONTH, limit=Decimal(10), amount=Decimal(3))
    third = reservations.reserve(ADA.user_id, MONTH, limit=Decimal(10), amount=Decimal(3))
    assert first.reservation is not None and second.reservation is not None
    assert (third.reservation, third.usage, third.reserved) == (None, Decimal(6), Decimal(6))
    # The cost items the views read are untouched by reservations.
    assert costs.current_usage(ADA.user_id, MONTH) == Decimal(6)
    assert costs.summary(ADA.user_id, MONTH).total_requests == 1


def test_a_reservation_of_a_dead_process_expires_and_is_reclaimed(costs: CostRepository, dynamodb: Any) -> None:
    clock = ManualClock(NOW.timestamp())
    reservations = reservations_on(dynamodb, clock)
    held = reservations.reserve(ADA.user_id, MONTH, limit=Decimal(10), amount=Decimal(10))
    assert held.reservation is not None
    assert reservations.reserve(ADA.user_id, MONTH, limit=Decimal(10), amount=Decimal(1)).reservation is None
    clock.now += 901
    later = reservations.reserve(ADA.user_id, MONTH, limit=Decimal(10), amount=Decimal(1))
    assert later.reservation is not None and later.reserved == Decimal(0)
    assert reservations.reserved(ADA.user_id, MONTH) == Decimal(1)
    # The dead process's release (should it ever come) does not free room twice.
    assert reservations.release(held.reservation) is False
    assert reservations.reserved(ADA.user_id, MONTH) == Decimal(1)


@pytest.mark.parametrize("fault", FAULTS[:2], ids=["throttling", "internal"])
def test_a_reservation_that_cannot_be_written_is_an_error_not_a_pass(
    costs: CostRepository, dynamodb: Any, fault: Any
) -> None:
    with inject_fault(dynamodb, "UpdateItem", fault), pytest.raises(fault.error):
        reservations_on(dynamodb).reserve(ADA.user_id, MONTH, limit=Decimal(10), amount=Decimal(1))


@pytest.fixture
def checker(quotas: QuotaRepository, costs: CostRepository, events: QuotaEventRepository, dynamodb: Any):
    quotas.create_tier(tier_data("tier_basic", monthly_cost_limit=Decimal(10)), created_by="admin")
    quotas.create_assignment(QuotaAssignmentCreate(tier_id="tier_basic",
                                                   assignment_type=QuotaAssignmentType.DEFAULT_TIER),
                             created_by="admin")  # fmt: skip
    return QuotaChecker(QuotaResolver(quotas, cache_ttl_seconds=0), costs, events,
                        reservations=reservations_on(dynamodb), clock=lambda: NOW)  # fmt: skip


def test_admission_reserves_and_release_gives_it_back(checker: QuotaChecker, dynamodb: Any) -> None:
    admission = checker.admit(ADA, bound=Decimal(4))
    assert admission.allowed and admission.reservation is not None
    assert admission.result.current_usage == Decimal(0) and admission.result.quota_limit == Decimal(10)
    assert reservations_on(dynamodb).reserved(ADA.user_id, MONTH) == Decimal(4)
    checker.release(admission)
    checker.release(admission)
    assert reservations_on(dynamodb).reserved(ADA.user_id, MONTH) == Decimal(0)


def test_admission_refuses_while_calls_in_flight_hold_the_rest(
    checker: QuotaChecker, costs: CostRepository, events: QuotaEventRepository
) -> None:
    spend(costs, "5")
    held = [checker.admit(ADA, bound=Decimal(2)) for _ in range(4)]
    assert [admission.allowed for admission in held] == [True, True, True, False]
    refused = held[-1].result
    assert refused.message == "Quota exceeded (requests in progress hold the rest)" and refused.remaining == 0
    assert refused.current_usage == Decimal(5)
    assert [event.event_type for event in events.list_events(user_id=ADA.user_id)] == [QuotaEventType.BLOCK]
    checker.release(held[0])
    assert checker.admit(ADA, bound=Decimal(2)).allowed


def test_a_warn_only_tier_reserves_nothing_and_never_refuses(
    quotas: QuotaRepository, costs: CostRepository, events: QuotaEventRepository, dynamodb: Any
) -> None:
    quotas.create_tier(tier_data("tier_warn", action_on_limit=ActionOnLimit.WARN), created_by="admin")
    quotas.create_assignment(QuotaAssignmentCreate(tier_id="tier_warn",
                                                   assignment_type=QuotaAssignmentType.DEFAULT_TIER),
                             created_by="admin")  # fmt: skip
    checker = QuotaChecker(QuotaResolver(quotas, cache_ttl_seconds=0), costs, events,
                           reservations=reservations_on(dynamodb), clock=lambda: NOW)  # fmt: skip
    spend(costs, "12")
    admission = checker.admit(ADA, bound=Decimal(5))
    assert admission.allowed and admission.reservation is None
    assert reservations_on(dynamodb).reserved(ADA.user_id, MONTH) == Decimal(0)


def test_a_daily_tier_reserves_on_the_day(
    quotas: QuotaRepository, costs: CostRepository, events: QuotaEventRepository, dynamodb: Any
) -> None:
    quotas.create_tier(tier_data("tier_daily", period_type=PeriodType.DAILY, daily_cost_limit=Decimal(1)),
                       created_by="admin")  # fmt: skip
    quotas.create_assignment(QuotaAssignmentCreate(tier_id="tier_daily",
                                                   assignment_type=QuotaAssignmentType.DEFAULT_TIER),
                             created_by="admin")  # fmt: skip
    checker = QuotaChecker(QuotaResolver(quotas, cache_ttl_seconds=0), costs, events,
                           reservations=reservations_on(dynamodb), clock=lambda: NOW)  # fmt: skip
    admission = checker.admit(ADA, bound=Decimal("0.75"))
    assert admission.reservation is not None and admission.reservation.period == "2026-11-26"
    assert reservations_on(dynamodb).reserved(ADA.user_id, "2026-11-26") == Decimal("0.75")
    assert reservations_on(dynamodb).reserved(ADA.user_id, MONTH) == Decimal(0)


# ---------------------------------------------------------------------- parallel, against a moto server
# The server's data outlives a test: each test has users of its own.


def _tables(client: Any) -> CostRepository:
    table(client, "user-quotas", QUOTAS_TABLE)
    table(client, "quota-events", QUOTA_EVENTS_TABLE)
    return CostRepository(client, summary_table=table(client, "user-cost-summary", COST_SUMMARY_TABLE),
                          records_table=table(client, "sessions-metadata", COST_RECORDS_TABLE),
                          sleep=lambda seconds: None)  # fmt: skip


@pytest.mark.parametrize(("bound", "admitted"), [("1", 4), ("2", 2), ("3", 2), ("5", 1)])
def test_parallel_admissions_take_exactly_the_room_left(serial_dynamodb: Any, bound: str, admitted: int) -> None:
    costs = _tables(serial_dynamodb)
    user_id = f"90000000{bound}"
    spend(costs, "6", user_id=user_id)
    reservations = reservations_on(serial_dynamodb)
    start = threading.Barrier(12)

    def admit(_: int) -> bool:
        start.wait()
        outcome = reservations.reserve(user_id, MONTH, limit=Decimal(10), amount=Decimal(bound))
        return outcome.reservation is not None

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(admit, range(12)))
    assert results.count(True) == admitted and results.count(False) == 12 - admitted
    held = Decimal(bound) * admitted
    assert reservations.reserved(user_id, MONTH) == held
    # What was left was 4: together they hold at most that plus one bound.
    assert held < Decimal(4) + Decimal(bound)


def test_parallel_admissions_and_recorded_costs_never_overspend(serial_dynamodb: Any) -> None:
    """Calls that finish (record their cost, release) while others are admitted: the total stays bounded."""
    costs = _tables(serial_dynamodb)
    user_id = "900000099"
    reservations = reservations_on(serial_dynamodb)
    start = threading.Barrier(16)
    counter = iter(range(1000))
    lock = threading.Lock()

    def call(_: int) -> bool:
        start.wait()
        outcome = reservations.reserve(user_id, MONTH, limit=Decimal(10), amount=Decimal(2))
        if outcome.reservation is None:
            return False
        with lock:
            message_id = next(counter)
        # Every call costs its whole bound: the worst case for the quota.
        spend(costs, "2", message_id=message_id, user_id=user_id)
        reservations.release(outcome.reservation)
        return True

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, range(16)))
    spent = costs.current_usage(user_id, MONTH)
    assert spent == Decimal(2) * results.count(True)
    # Each call costs its whole bound (the worst case), and admission needs usage plus
    # reservations below the limit: at most five of 2 fit in 10, whatever the interleaving.
    assert 1 <= results.count(True) <= 5 and spent <= Decimal(10)
    assert reservations.reserved(user_id, MONTH) == Decimal(0)
