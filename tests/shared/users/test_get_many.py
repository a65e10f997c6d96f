"""Reading many profiles at once: consistent ``BatchGetItem``s of up to 100 keys, retried, and failing loudly."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from apis.shared.aws import DependencyThrottledError, to_item
from apis.shared.users import USERS_TABLE, UserProfile, UserRepository
from tests.support.aws import table
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault


def profile(number: int) -> UserProfile:
    user_id = f"{number:09d}"
    return UserProfile(user_id=user_id, email=f"u{user_id}@example.edu", name=f"User {user_id}", roles=["Faculty"],
                       email_domain="example.edu", created_at="2026-01-01T00:00:00Z",
                       last_login_at="2026-01-01T00:00:00Z")  # fmt: skip


def key(user_id: str) -> dict[str, Any]:
    return to_item({"PK": f"USER#{user_id}", "SK": "PROFILE"})


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def users(dynamodb: Any, sleeps: list[float]) -> UserRepository:
    return UserRepository(dynamodb, table(dynamodb, "users", USERS_TABLE), sleep=sleeps.append)


@pytest.fixture
def batch_gets(dynamodb: Any) -> list[dict[str, Any]]:
    """Every BatchGetItem request the client makes."""
    calls: list[dict[str, Any]] = []
    dynamodb.meta.events.register(
        "provide-client-params.dynamodb.BatchGetItem", lambda params, **_: calls.append(params)
    )
    return calls


def test_profiles_are_read_100_at_a_time(users: UserRepository, batch_gets: list[dict[str, Any]]) -> None:
    stored = [users.create(profile(number)) for number in range(1, 151)]
    asked = [p.user_id for p in stored] + ["999999999", stored[0].user_id]  # one without a profile, one twice
    found = users.get_many(asked)
    assert found == {p.user_id: p for p in stored}
    assert [len(call["RequestItems"]["users"]["Keys"]) for call in batch_gets] == [100, 51]
    assert all(call["RequestItems"]["users"]["ConsistentRead"] is True for call in batch_gets)
    assert batch_gets[1]["RequestItems"]["users"]["Keys"][-1] == key("999999999")


def test_nobody_asked_reads_nothing(users: UserRepository, batch_gets: list[dict[str, Any]]) -> None:
    assert users.get_many([]) == {}
    assert users.get_many(["999999999"]) == {}
    assert len(batch_gets) == 1


def test_unprocessed_keys_are_asked_again_then_refused(
    users: UserRepository, dynamodb: Any, sleeps: list[float]
) -> None:
    ada, bob = profile(1), profile(2)
    item = to_item({**key(ada.user_id), **ada.model_dump(by_alias=True, mode="json")})
    bob_item = to_item({**key(bob.user_id), **bob.model_dump(by_alias=True, mode="json")})
    left = {"UnprocessedKeys": {"users": {"Keys": [key(bob.user_id)], "ConsistentRead": True}}}
    with Stubber(dynamodb) as stubber:
        stubber.add_response("batch_get_item", {"Responses": {"users": [item]}, **left},
                             {"RequestItems": {"users": {"Keys": [key(ada.user_id), key(bob.user_id)],
                                                         "ConsistentRead": True}}})  # fmt: skip
        stubber.add_response("batch_get_item", {"Responses": {"users": [bob_item]}},
                             {"RequestItems": {"users": {"Keys": [key(bob.user_id)],
                                                         "ConsistentRead": True}}})  # fmt: skip
        assert users.get_many([ada.user_id, bob.user_id]) == {ada.user_id: ada, bob.user_id: bob}
        stubber.assert_no_pending_responses()
    assert len(sleeps) == 1
    with Stubber(dynamodb) as stubber:
        for _ in range(5):
            stubber.add_response("batch_get_item", {"Responses": {"users": []}, **left})
        with pytest.raises(DependencyThrottledError) as raised:
            users.get_many([bob.user_id])
        stubber.assert_no_pending_responses()
    assert (raised.value.status_code, raised.value.detail) == (503, "users: batch_get_item left keys unprocessed")
    assert len(sleeps) == 1 + 4


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_failures_propagate_typed(users: UserRepository, dynamodb: Any, fault: Fault) -> None:
    with inject_fault(dynamodb, "BatchGetItem", fault) as failed, pytest.raises(fault.error) as raised:
        users.get_many(["000000001"])
    assert failed == ["BatchGetItem"]
    assert_fault(raised.value, fault)
