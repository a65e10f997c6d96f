"""A session's turn lease: one turn at a time, renewed while it streams, expiring when its process dies."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from apis.shared.sessions import SESSIONS_METADATA_TABLE, SessionStore, TurnInProgressError
from tests.support.aws import table
from tests.support.clock import ManualClock
from tests.support.faults import FAULTS, inject_fault

NOW = 1_790_000_000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def store(dynamodb: Any, clock: ManualClock) -> SessionStore:
    name = table(dynamodb, "sessions-metadata", SESSIONS_METADATA_TABLE)
    return SessionStore(dynamodb, name, sleep=lambda seconds: None, clock=clock)


def test_a_second_turn_is_refused_until_the_first_ends(store: SessionStore) -> None:
    first = store.begin_turn("s1", "u1", lease_seconds=120)
    with pytest.raises(TurnInProgressError) as refused:
        store.begin_turn("s1", "u1", lease_seconds=120)
    assert refused.value.status_code == 409 and refused.value.code.value == "conflict"
    assert refused.value.message == "A reply is still being written in this conversation; wait for it to finish"
    # Other sessions, and the same session id of another user, are not held.
    store.begin_turn("s2", "u1", lease_seconds=120)
    store.begin_turn("s1", "u2", lease_seconds=120)
    store.end_turn("s1", "u1", first)
    assert store.begin_turn("s1", "u1", lease_seconds=120) != first


def test_a_lease_expires_unless_renewed(store: SessionStore, clock: ManualClock) -> None:
    first = store.begin_turn("s1", "u1", lease_seconds=120)
    clock.now += 100
    assert store.renew_turn("s1", "u1", first, lease_seconds=120) is True
    clock.now += 100  # 200 s after it began, 100 s after its renewal: still held
    with pytest.raises(TurnInProgressError):
        store.begin_turn("s1", "u1", lease_seconds=120)
    clock.now += 21  # its process died: the lease runs out
    second = store.begin_turn("s1", "u1", lease_seconds=120)
    # The first turn learns it lost the lease, and ending it leaves the second's alone.
    assert store.renew_turn("s1", "u1", first, lease_seconds=120) is False
    store.end_turn("s1", "u1", first)
    with pytest.raises(TurnInProgressError):
        store.begin_turn("s1", "u1", lease_seconds=120)
    store.end_turn("s1", "u1", second)
    store.begin_turn("s1", "u1", lease_seconds=120)


def test_leases_stay_out_of_the_session_listing(store: SessionStore) -> None:
    store.begin_turn("s1", "u1", lease_seconds=120)
    assert store.list_sessions("u1").sessions == []
    assert store.get("s1", "u1") is None


def test_a_lease_that_cannot_be_taken_is_an_error(store: SessionStore, dynamodb: Any) -> None:
    fault = FAULTS[1]
    with inject_fault(dynamodb, "PutItem", fault), pytest.raises(fault.error):
        store.begin_turn("s1", "u1", lease_seconds=120)


def test_parallel_turns_of_one_session_take_the_lease_exactly_once(serial_dynamodb: Any) -> None:
    store = SessionStore(serial_dynamodb, table(serial_dynamodb, "sessions-metadata", SESSIONS_METADATA_TABLE))
    start = threading.Barrier(8)

    def begin(_: int) -> str | None:
        start.wait()
        try:
            return store.begin_turn("parallel", "u9", lease_seconds=120)
        except TurnInProgressError:
            return None

    with ThreadPoolExecutor(8) as pool:
        turns = list(pool.map(begin, range(8)))
    held = [turn for turn in turns if turn is not None]
    assert len(held) == 1 and turns.count(None) == 7
