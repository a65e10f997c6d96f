"""Two processes' resolvers on one quota table: a change made through either reaches the other within the
version-check interval, at one GetItem per interval, and never later when the stamp cannot be read."""

from __future__ import annotations

import json
from collections import Counter
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.auth import User
from apis.shared.errors import ConflictError, InternalError
from apis.shared.quota import (
    QuotaAssignmentCreate,
    QuotaAssignmentType,
    QuotaAssignmentUpdate,
    QuotaOverrideCreate,
    QuotaOverrideType,
    QuotaOverrideUpdate,
    QuotaRepository,
    QuotaResolver,
    QuotaTierUpdate,
    domain_matches,
)
from tests.shared.quota.conftest import tier_data
from tests.support.calls import STAMP_READ, counted_calls
from tests.support.clock import ManualClock
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ADA = User("123456789", "ada@cs.example.edu", "Ada", roles=("Faculty",))
STAMP_KEY = {"PK": {"S": "CACHE_VERSION"}, "SK": {"S": "CACHE_VERSION"}}
WINDOW = {"valid_from": "2020-01-01T00:00:00Z", "valid_until": "2099-01-01T00:00:00Z", "reason": "block"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def quotas(quotas: QuotaRepository) -> QuotaRepository:
    quotas.create_tier(tier_data("tier_basic"), created_by="admin")
    quotas.create_tier(tier_data("tier_faculty", monthly_cost_limit=Decimal(50)), created_by="admin")
    assignment = QuotaAssignmentCreate(tier_id="tier_basic", assignment_type=QuotaAssignmentType.DEFAULT_TIER)
    quotas.create_assignment(assignment, created_by="admin")
    return quotas


@pytest.fixture
def replica(quotas: QuotaRepository, dynamodb: Any, clock: ManualClock) -> QuotaResolver:
    """Another process's resolver: its own repository and cache, the same table."""
    return QuotaResolver(QuotaRepository(dynamodb, "user-quotas"), version_check_seconds=1.0, clock=clock)


def limit(resolver: QuotaResolver) -> tuple[str, Decimal | None]:
    resolved = resolver.resolve(ADA)
    return resolved.matched_by, resolved.tier.monthly_cost_limit if resolved.tier else None


def block(quotas: QuotaRepository) -> Any:
    return quotas.create_override(
        QuotaOverrideCreate(user_id=ADA.user_id, override_type=QuotaOverrideType.CUSTOM_LIMIT,
                            monthly_cost_limit=Decimal("0.01"), **WINDOW),
        created_by="admin",
    )  # fmt: skip


def faculty_assignment(quotas: QuotaRepository) -> Any:
    data = QuotaAssignmentCreate(tier_id="tier_faculty", assignment_type=QuotaAssignmentType.JWT_ROLE,
                                 jwt_role="Faculty")  # fmt: skip
    return quotas.create_assignment(data, created_by="admin")


def test_the_replica_caches_and_reads_only_the_stamp_once_per_interval(
    replica: QuotaResolver, dynamodb: Any, clock: ManualClock
) -> None:
    assert limit(replica) == ("default_tier", Decimal(10))
    with counted_calls(dynamodb) as calls:
        for offset in (0.1, 0.5, 0.99):
            clock.now = 1000 + offset
            assert limit(replica) == ("default_tier", Decimal(10))
    assert calls == Counter(), "within the interval: no DynamoDB call at all"
    with counted_calls(dynamodb) as calls:
        for offset in (1.0, 1.3, 1.99):
            clock.now = 1000 + offset
            assert limit(replica) == ("default_tier", Decimal(10))
    assert calls == Counter({STAMP_READ: 1}), "then one GetItem of the stamp, for every request of the interval"


CHANGES: dict[str, tuple[Callable[[QuotaRepository], Any], tuple[str, Decimal | None]]] = {
    "an override that blocks": (block, ("override", Decimal("0.01"))),
    "an unlimited override": (
        lambda q: q.create_override(
            QuotaOverrideCreate(user_id=ADA.user_id, override_type=QuotaOverrideType.UNLIMITED, **WINDOW),
            created_by="admin",
        ),
        ("override", None),
    ),
    "a tier change": (lambda q: q.update_tier("tier_basic", QuotaTierUpdate(monthly_cost_limit=Decimal(2))),
                      ("default_tier", Decimal(2))),
    "a new assignment": (faculty_assignment, ("jwt_role", Decimal(50))),
}  # fmt: skip


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_through_one_process_reaches_the_other_within_the_interval(
    quotas: QuotaRepository, replica: QuotaResolver, clock: ManualClock, change: str
) -> None:
    write, expected = CHANGES[change]
    assert limit(replica) == ("default_tier", Decimal(10))
    write(quotas)
    clock.now += 0.9
    assert limit(replica) == ("default_tier", Decimal(10)), "the interval is what a replica may lag"
    clock.now += 0.1
    assert limit(replica) == expected


def test_changing_and_removing_overrides_and_assignments_reach_the_replica(
    quotas: QuotaRepository, replica: QuotaResolver, clock: ManualClock
) -> None:
    override = block(quotas)
    clock.now += 1
    assert limit(replica) == ("override", Decimal("0.01"))
    quotas.update_override(override.override_id, QuotaOverrideUpdate(enabled=False))
    clock.now += 1
    assert limit(replica) == ("default_tier", Decimal(10))
    quotas.delete_override(override.override_id)
    assignment = faculty_assignment(quotas)
    clock.now += 1
    assert limit(replica) == ("jwt_role", Decimal(50))
    quotas.update_assignment(assignment.assignment_id, QuotaAssignmentUpdate(enabled=False))
    clock.now += 1
    assert limit(replica) == ("default_tier", Decimal(10))
    quotas.delete_assignment(assignment.assignment_id)
    quotas.create_tier(tier_data("tier_spare"), created_by="admin")
    quotas.delete_tier("tier_spare")
    assert quotas.cache_version() == 11, "every write counted: 3 in the fixture, 8 here"


def test_resolve_many_follows_the_stamp_too(
    quotas: QuotaRepository, replica: QuotaResolver, clock: ManualClock
) -> None:
    assert replica.resolve_many([(ADA, [])])[ADA.user_id].matched_by == "default_tier"
    block(quotas)
    clock.now += 1
    assert replica.resolve_many([(ADA, [])])[ADA.user_id].matched_by == "override"


def test_the_writing_process_sees_its_change_at_once(
    dynamodb: Any, quotas: QuotaRepository, clock: ManualClock
) -> None:
    own = QuotaResolver(quotas, version_check_seconds=1.0, clock=clock)
    assert limit(own) == ("default_tier", Decimal(10))
    block(quotas)
    own.invalidate()
    with counted_calls(dynamodb) as calls:
        assert limit(own) == ("override", Decimal("0.01"))
    assert calls == Counter({STAMP_READ: 1, "Query": 1}), "the stamp (re-read at once) and the override"


def test_the_stamp_item_is_none_of_the_quota_data(quotas: QuotaRepository) -> None:
    block(quotas)
    assert quotas.cache_version() == 4
    assert [tier.tier_id for tier in quotas.list_tiers()] == ["tier_basic", "tier_faculty"]
    assert len(quotas.list_assignments()) == 1
    assert len(quotas.list_overrides()) == 1


def test_a_refused_write_leaves_the_stamp_alone(quotas: QuotaRepository) -> None:
    before = quotas.cache_version()
    with pytest.raises(ConflictError):
        quotas.create_tier(tier_data("tier_basic"), created_by="admin")
    assert quotas.cache_version() == before


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_a_failed_write_changes_neither_the_data_nor_the_stamp(quotas: QuotaRepository, fault: Fault) -> None:
    before = quotas.cache_version()
    with inject_fault(quotas._client, "TransactWriteItems", fault), pytest.raises(fault.error) as raised:
        quotas.update_tier("tier_basic", QuotaTierUpdate(monthly_cost_limit=Decimal(1)))
    assert_fault(raised.value, fault)
    assert (quotas.cache_version(), quotas.get_tier_or_raise("tier_basic").monthly_cost_limit) == (before, Decimal(10))


@contextmanager
def failing_stamp_reads(client: Any, fault: Fault) -> Iterator[list[str]]:
    """Fail the GetItem calls of the version stamp only."""
    failed: list[str] = []

    def fail(params: dict[str, Any] | None = None, **_: Any) -> None:
        if json.loads((params or {}).get("body") or b"{}").get("Key") == STAMP_KEY:
            failed.append("GetItem")
            raise fault.exception("GetItem")

    client.meta.events.register("before-call.dynamodb.GetItem", fail)
    try:
        yield failed
    finally:
        client.meta.events.unregister("before-call.dynamodb.GetItem", fail)


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_an_unreadable_stamp_never_serves_the_cache(
    quotas: QuotaRepository, replica: QuotaResolver, dynamodb: Any, clock: ManualClock, fault: Fault
) -> None:
    assert limit(replica) == ("default_tier", Decimal(10))
    block(quotas)
    clock.now += 1
    with failing_stamp_reads(dynamodb, fault) as failed:
        assert limit(replica) == ("override", Decimal("0.01")), "read from the table, not the cache"
        clock.now += 0.5
        with inject_fault(dynamodb, "Query", fault), pytest.raises(fault.error) as raised:
            replica.resolve(ADA)
    assert failed == ["GetItem"], "retried once per interval, not per request"
    assert_fault(raised.value, fault)


@pytest.mark.parametrize("pattern", ["regex:([", "example.edu, regex:(unclosed"])
def test_an_invalid_stored_regex_is_an_error_not_a_silent_non_match(pattern: str) -> None:
    with pytest.raises(InternalError) as raised:
        domain_matches(pattern, "cs.example.edu")
    assert raised.value.message == "An email-domain quota assignment has an invalid pattern"
    assert "regex:(" in raised.value.detail
