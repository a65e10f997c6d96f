"""The turn lease alone: one turn of a session at a time, renewed every third of its length, always given back."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from apis.inference_api.chat.lease import TurnLeases
from apis.shared.sessions import SessionStore, TurnInProgressError
from tests.support.faults import FAULTS, inject_fault

USER = "111111111"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def lease_item(dynamodb: Any) -> Any:
    item = dynamodb.get_item(TableName="sessions-metadata", Key={"PK": {"S": f"USER#{USER}"}, "SK": {"S": "TURN#s1"}})
    return item.get("Item")


@pytest.fixture
def wall() -> Clock:
    return Clock(1_000_000.0)


@pytest.fixture
def ticks() -> Clock:
    return Clock(50.0)


@pytest.fixture
def leases(dynamodb: Any, wall: Clock, ticks: Clock) -> TurnLeases:
    return TurnLeases(SessionStore(dynamodb, "sessions-metadata", clock=wall), lease_seconds=120, clock=ticks)


def test_a_second_turn_of_a_session_is_a_409_until_the_first_ends(leases: TurnLeases) -> None:
    first = leases.take("s1", USER)
    with pytest.raises(TurnInProgressError) as refused:
        leases.take("s1", USER)
    assert (refused.value.status_code, refused.value.code.value) == (409, "conflict")
    first.end()
    second = leases.take("s1", USER)
    assert second.turn_id != first.turn_id and (second.session_id, second.user_id) == ("s1", USER)


def test_the_lease_is_renewed_only_once_a_third_of_it_has_passed(
    leases: TurnLeases, dynamodb: Any, wall: Clock, ticks: Clock
) -> None:
    lease = leases.take("s1", USER)
    assert lease_item(dynamodb)["expiresAt"] == {"N": "1000120"}
    wall.now += 30
    ticks.now += 39.9
    lease.renew_if_due()
    assert lease_item(dynamodb)["expiresAt"] == {"N": "1000120"}
    ticks.now += 0.1
    lease.renew_if_due()
    assert lease_item(dynamodb)["expiresAt"] == {"N": "1000150"}
    wall.now += 10
    ticks.now += 39.9  # measured from the renewal, not from the take
    lease.renew_if_due()
    assert lease_item(dynamodb)["expiresAt"] == {"N": "1000150"}


def test_a_lease_taken_over_after_it_expired_is_reported_and_left_to_its_holder(
    leases: TurnLeases, dynamodb: Any, wall: Clock, ticks: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    stale = leases.take("s1", USER)
    wall.now += 121
    current = leases.take("s1", USER)
    ticks.now += 40
    with caplog.at_level(logging.WARNING, logger="apis.inference_api.chat.lease"):
        stale.renew_if_due()
        stale.end()
    assert [r.getMessage() for r in caplog.records if r.name == "apis.inference_api.chat.lease"] == [
        "the turn lease of session s1 expired while its answer streamed"
    ]
    assert lease_item(dynamodb)["turnId"] == {"S": current.turn_id}


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_a_failing_renewal_or_release_is_logged_not_raised(
    leases: TurnLeases, dynamodb: Any, ticks: Clock, caplog: pytest.LogCaptureFixture, fault: Any
) -> None:
    lease = leases.take("s1", USER)
    ticks.now += 40
    with caplog.at_level(logging.WARNING, logger="apis.inference_api.chat.lease"):
        with inject_fault(dynamodb, "UpdateItem", fault) as renewals:
            lease.renew_if_due()
        with inject_fault(dynamodb, "DeleteItem", fault) as releases:
            lease.end()
    assert (renewals, releases) == (["UpdateItem"], ["DeleteItem"])
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "apis.inference_api.chat.lease"] == [
        ("WARNING", "could not renew the turn lease of session s1"),
        ("ERROR", "could not end the turn of session s1"),
    ]
    assert lease_item(dynamodb)["turnId"] == {"S": lease.turn_id}
