"""Caches that follow a shared version: read once per interval, dropped on a change, bypassed when unreadable."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.caching import CACHE_VERSION_ITEM, SharedVersion, TtlCache, VersionStamp
from apis.shared.errors import DependencyTimeoutError, DependencyUnavailableError, InternalError
from apis.shared.quota import QUOTAS_TABLE
from tests.support.aws import table
from tests.support.calls import STAMP_READ, counted_calls
from tests.support.clock import ManualClock
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault

if TYPE_CHECKING:
    from collections.abc import Callable


class SharedCounter:
    """The shared counter as a test sets it; counts the reads and can fail them."""

    def __init__(self) -> None:
        self.value = 0
        self.reads = 0
        self.failure: Exception | None = None

    def __call__(self) -> int:
        self.reads += 1
        if self.failure is not None:
            raise self.failure
        return self.value


def versioned(clock: ManualClock, shared: SharedCounter, **options: Any) -> tuple[SharedVersion, TtlCache[str, str]]:
    version = SharedVersion(shared, check_interval_seconds=1.0, clock=clock, **options)
    return version, TtlCache(300, clock=clock, version=version)


def test_the_version_is_read_at_most_once_per_interval() -> None:
    clock, shared = ManualClock(100.0), SharedCounter()
    _, cache = versioned(clock, shared)
    cache.set("k", "v")
    for offset in (0.0, 0.2, 0.999):
        clock.now = 100 + offset
        assert cache.get("k") == "v"
    assert shared.reads == 1
    clock.now = 101.0
    assert cache.get("k") == "v", "the counter did not move: the entry stays"
    assert shared.reads == 2


def test_a_change_drops_every_entry_within_one_interval() -> None:
    clock, shared = ManualClock(100.0), SharedCounter()
    _, cache = versioned(clock, shared)
    cache.set("a", "old a")
    cache.set("b", "old b")
    clock.now = 100.4
    shared.value = 1  # another process changed the data
    clock.now = 100.9
    assert cache.get("a") == "old a", "within the interval the last read still holds"
    clock.now = 101.0
    assert (cache.get("a"), cache.get("b")) == (None, None)
    assert cache.get_or_load("a", lambda: "new a") == "new a"
    assert cache.get("a") == "new a"
    assert shared.reads == 2


def test_concurrent_callers_share_one_read() -> None:
    clock = ManualClock(100.0)
    release = threading.Event()
    reads: list[int] = []

    def slow_read() -> int:
        reads.append(1)
        release.wait(5)
        return 7

    version = SharedVersion(slow_read, clock=clock)
    generations: list[int] = []
    threads = [threading.Thread(target=lambda: generations.append(version.generation())) for _ in range(8)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(5)
    assert reads == [1]
    assert generations == [1] * 8


@pytest.mark.parametrize(
    "failure",
    [DependencyUnavailableError(detail="get_item: InternalServerError"), DependencyTimeoutError(detail="timeout")],
    ids=["unavailable", "timeout"],
)
def test_an_unreadable_version_bypasses_the_cache_until_a_read_succeeds(
    failure: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    clock, shared = ManualClock(100.0), SharedCounter()
    _, cache = versioned(clock, shared, name="quota")
    cache.set("k", "cached")
    clock.now = 101.0
    shared.failure = failure
    with caplog.at_level(logging.WARNING, logger="apis.shared.caching"):
        assert cache.get("k") is None, "an entry of unknown freshness is not served"
    assert [record.getMessage() for record in caplog.records] == [
        f"quota version could not be read ({failure}); its caches are bypassed"
    ]
    loads: list[int] = []
    for offset in (0.1, 0.5, 0.9):
        clock.now = 101 + offset
        assert cache.get_or_load("k", lambda: loads.append(1) or "fresh") == "fresh"
    assert loads == [1, 1, 1], "every request reads the data itself: nothing is stored"
    assert shared.reads == 2, "and the counter is retried once per interval, not per request"
    shared.failure = None
    clock.now = 102.0
    assert cache.get_or_load("k", lambda: "fresh") == "fresh"
    assert cache.get("k") == "fresh", "cached again once the counter reads"
    assert shared.reads == 3


def test_a_version_read_that_fails_as_a_bug_propagates_and_the_cache_is_bypassed() -> None:
    clock, shared = ManualClock(100.0), SharedCounter()
    _, cache = versioned(clock, shared)
    cache.set("k", "cached")
    clock.now = 101.0
    shared.failure = InternalError(detail="get_item: ValidationException")
    with pytest.raises(InternalError):
        cache.get("k")
    clock.now = 101.5
    assert cache.get("k") is None


def test_entries_loaded_just_after_a_change_are_dropped_once_more_when_the_indexes_settled() -> None:
    clock, shared = ManualClock(100.0), SharedCounter()
    _, cache = versioned(clock, shared, settle_seconds=2.0)
    cache.get("k")
    shared.value = 1
    clock.now = 101.0
    # Loaded from an index that may not show the change yet.
    assert cache.get_or_load("k", lambda: "maybe stale") == "maybe stale"
    clock.now = 102.9
    assert cache.get("k") == "maybe stale"
    clock.now = 103.0
    assert cache.get("k") is None
    cache.set("k", "settled")
    clock.now = 110.0
    assert cache.get("k") == "settled", "one more drop only, not one per interval"


def test_the_first_read_and_an_unchanged_version_need_no_settling() -> None:
    clock, shared = ManualClock(100.0), SharedCounter()
    version, cache = versioned(clock, shared)
    assert version.generation() == 1
    cache.set("k", "v")
    for now in (101.0, 102.0, 103.0, 104.0):
        clock.now = now
        assert cache.get("k") == "v"
    assert version.generation() == 1


def test_expire_reads_the_version_at_the_next_call() -> None:
    clock, shared = ManualClock(100.0), SharedCounter()
    version, cache = versioned(clock, shared)
    cache.set("k", "v")
    shared.value = 1
    version.expire()
    assert cache.get("k") is None
    assert shared.reads == 2


def test_a_load_during_which_the_cache_was_cleared_is_not_stored() -> None:
    cache: TtlCache[str, str] = TtlCache(300)

    def load_racing(clear: Callable[[], None]) -> Callable[[], str]:
        def load() -> str:
            clear()  # another thread: a change was seen while this load read the old data
            return "read before the change"

        return load

    assert cache.get_or_load("k", load_racing(cache.clear)) == "read before the change"
    assert cache.get("k") is None
    assert cache.get_or_load("k", load_racing(lambda: cache.invalidate("k"))) == "read before the change"
    assert cache.get("k") is None
    assert cache.get_or_load("k", lambda: "read after") == "read after"
    assert cache.get("k") == "read after"


def test_set_with_an_epoch_stores_only_if_nothing_was_cleared_since() -> None:
    cache: TtlCache[str, str] = TtlCache(300)
    epoch = cache.epoch()
    cache.set("a", "a", epoch=epoch)
    cache.clear()
    cache.set("b", "b", epoch=epoch)
    assert (cache.get("a"), cache.get("b")) == (None, None)
    cache.set("c", "c", epoch=cache.epoch())
    assert cache.get("c") == "c"


# ---------------------------------------------------------------- the stamp in DynamoDB


@pytest.fixture
def stamp(dynamodb: Any) -> VersionStamp:
    return VersionStamp(dynamodb, table(dynamodb, "user-quotas", QUOTAS_TABLE))


def test_the_stamp_counts_every_bump_alone_or_in_a_transaction(stamp: VersionStamp, dynamodb: Any) -> None:
    assert stamp.read() == 0
    stamp.bump()
    stamp.bump()
    assert stamp.read() == 2
    dynamodb.transact_write_items(TransactItems=[stamp.bump_action()])
    assert stamp.read() == 3
    item = dynamodb.get_item(TableName="user-quotas", Key={"PK": {"S": CACHE_VERSION_ITEM},
                                                           "SK": {"S": CACHE_VERSION_ITEM}})["Item"]  # fmt: skip
    assert set(item) == {"PK", "SK", "version", "changedAt"}
    assert item["version"] == {"N": "3"}


def test_a_read_is_one_consistent_get_item_of_the_counter_only(stamp: VersionStamp, dynamodb: Any) -> None:
    from botocore.stub import Stubber

    with Stubber(dynamodb) as stubber:
        stubber.add_response(
            "get_item",
            {"Item": {"version": {"N": "41"}}},
            {
                "TableName": "user-quotas",
                "Key": {"PK": {"S": "CACHE_VERSION"}, "SK": {"S": "CACHE_VERSION"}},
                "ConsistentRead": True,
                "ProjectionExpression": "#version",
                "ExpressionAttributeNames": {"#version": "version"},
            },
        )
        assert stamp.read() == 41
        stubber.assert_no_pending_responses()
    with counted_calls(dynamodb) as calls:
        stamp.read()
    assert calls == Counter({STAMP_READ: 1})


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize(("operation", "call"), [("GetItem", VersionStamp.read), ("UpdateItem", VersionStamp.bump)])
def test_stamp_failures_are_the_typed_errors(
    stamp: VersionStamp, dynamodb: Any, operation: str, call: Callable[[VersionStamp], object], fault: Fault
) -> None:
    with inject_fault(dynamodb, operation, fault) as failed, pytest.raises(fault.error) as raised:
        call(stamp)
    assert failed == [operation]
    assert_fault(raised.value, fault)
