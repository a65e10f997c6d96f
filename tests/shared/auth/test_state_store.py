"""OIDC login state: single use, expiry, and storage failures that fail closed."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from apis.shared.auth import OIDC_STATE_TABLE, DynamoDBStateStore, OIDCStateData
from apis.shared.aws import to_item
from tests.support.aws import table
from tests.support.clock import ManualClock
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault

DATA = OIDCStateData(redirect_uri="https://app.example/cb", code_verifier="verifier", nonce="n-1")


@pytest.fixture
def store(dynamodb) -> tuple[DynamoDBStateStore, ManualClock]:
    clock = ManualClock(1_800_000_000.0)
    return DynamoDBStateStore(dynamodb, table(dynamodb, "oidc-state", OIDC_STATE_TABLE), clock), clock


def test_dynamodb_state_is_single_use(store: tuple[DynamoDBStateStore, ManualClock]) -> None:
    states, _ = store
    states.store_state("abc", DATA)
    assert states.get_and_delete_state("abc") == (True, DATA)
    assert states.get_and_delete_state("abc") == (False, None)
    assert states.get_and_delete_state("unknown") == (False, None)


def test_dynamodb_state_expires_before_the_ttl_sweep(store: tuple[DynamoDBStateStore, ManualClock]) -> None:
    states, clock = store
    states.store_state("abc", OIDCStateData(), ttl_seconds=600)
    clock.now += 601
    assert states.get_and_delete_state("abc") == (False, None)


def test_the_take_is_one_conditional_delete(dynamodb) -> None:
    states = DynamoDBStateStore(dynamodb, "oidc-state", ManualClock(1_800_000_000.0))
    key = to_item({"PK": "STATE#abc", "SK": "STATE#abc"})
    with Stubber(dynamodb) as stubber:
        stubber.add_response(
            "delete_item",
            {"Attributes": to_item({"PK": "STATE#abc", "expiresAt": 1_900_000_000, "nonce": "n"})},
            {
                "TableName": "oidc-state",
                "Key": key,
                "ConditionExpression": "attribute_exists(PK)",
                "ReturnValues": "ALL_OLD",
            },
        )
        stubber.add_client_error("delete_item", "ConditionalCheckFailedException", http_status_code=400)
        assert states.get_and_delete_state("abc") == (True, OIDCStateData(nonce="n"))
        assert states.get_and_delete_state("abc") == (False, None)
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("PutItem", lambda states: states.store_state("abc", DATA)),
        ("DeleteItem", lambda states: states.get_and_delete_state("abc")),
    ],
    ids=["store", "take"],
)
def test_storage_failures_raise_instead_of_passing_as_unknown_state(
    store: tuple[DynamoDBStateStore, ManualClock], fault: Fault, operation: str, call
) -> None:
    states, _ = store
    with inject_fault(states._client, operation, fault) as failed, pytest.raises(fault.error) as raised:
        call(states)
    assert failed == [operation]
    assert_fault(raised.value, fault)


def test_states_written_by_the_original_system_are_read(
    store: tuple[DynamoDBStateStore, ManualClock], dynamodb
) -> None:
    states, clock = store
    # The item as the original backend wrote it: snake_case inner names, epoch-second created_at.
    original = {"PK": "STATE#old", "SK": "STATE#old", "state": "old", "expiresAt": int(clock.now) + 600,
                "created_at": int(clock.now), "redirect_uri": "http://localhost:4200/auth/callback",
                "code_verifier": "old-verifier", "nonce": "old-nonce"}  # fmt: skip
    dynamodb.put_item(TableName="oidc-state", Item=to_item(original))
    expected = OIDCStateData("http://localhost:4200/auth/callback", code_verifier="old-verifier", nonce="old-nonce")
    assert states.get_and_delete_state("old") == (True, expected)
    assert states.get_and_delete_state("old") == (False, None)
