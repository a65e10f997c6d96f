"""User profiles against moto, the exact conditional writes via Stubber, and every call's failures."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.stub import ANY, Stubber

from apis.shared.auth import User
from apis.shared.aws import to_item
from apis.shared.errors import ConflictError
from apis.shared.pagination import InvalidCursorError
from apis.shared.users import USERS_TABLE, UserNotFoundError, UserProfile, UserRepository, UserStatus, UserSyncService
from tests.support.aws import table
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault


def profile(user_id: str = "123456789", **overrides) -> UserProfile:
    values = {
        "user_id": user_id,
        "email": f"User{user_id}@Example.EDU",
        "name": f"User {user_id}",
        "roles": ["Faculty"],
        "email_domain": "Example.EDU",
        "created_at": "2026-01-01T00:00:00Z",
        "last_login_at": "2026-01-01T00:00:00Z",
    } | overrides
    return UserProfile(**values)


@pytest.fixture
def users(dynamodb) -> UserRepository:
    return UserRepository(dynamodb, table(dynamodb, "users", USERS_TABLE))


def test_create_get_and_find_by_email(users: UserRepository) -> None:
    created = users.create(profile())
    assert created.email == "user123456789@example.edu"
    assert users.get("123456789") == created
    assert users.get_or_raise("123456789") == created
    assert users.get_by_email("USER123456789@example.edu") == created
    assert users.get("999999999") is None
    assert users.get_by_email("nobody@example.edu") is None
    with pytest.raises(UserNotFoundError) as missing:
        users.get_or_raise("999999999")
    assert missing.value.status_code == 404


def test_create_twice_is_a_conflict_and_update_needs_a_profile(users: UserRepository) -> None:
    users.create(profile())
    with pytest.raises(ConflictError):
        users.create(profile(name="Someone Else"))
    with pytest.raises(UserNotFoundError):
        users.update(profile("555555555"))
    updated = users.update(profile(name="Renamed"))
    assert users.get("123456789") == updated


def test_upsert_keeps_created_at_and_status(users: UserRepository) -> None:
    first, is_new = users.upsert(profile(created_at="2026-01-01T00:00:00Z", last_login_at="2026-01-01T00:00:00Z"))
    assert is_new and first.created_at == "2026-01-01T00:00:00Z"
    users.set_status("123456789", UserStatus.SUSPENDED)
    again, is_new = users.upsert(
        profile(
            name="New Name", roles=["Staff"], created_at="2026-03-03T00:00:00Z", last_login_at="2026-03-03T00:00:00Z"
        )
    )
    assert not is_new
    assert again.created_at == "2026-01-01T00:00:00Z"
    assert again.status is UserStatus.SUSPENDED, "logging in again must not lift a suspension"
    assert (again.name, again.roles, again.last_login_at) == ("New Name", ["Staff"], "2026-03-03T00:00:00Z")
    assert users.list_by_status(UserStatus.SUSPENDED).users == [again]
    assert users.list_by_status(UserStatus.ACTIVE).users == []


def test_upsert_removes_a_picture_that_is_gone(users: UserRepository) -> None:
    users.upsert(profile(picture="https://img/1.png"))
    refreshed, _ = users.upsert(profile(last_login_at="2026-02-02T00:00:00Z"))
    assert refreshed.picture is None


def test_set_status_needs_a_profile(users: UserRepository) -> None:
    with pytest.raises(UserNotFoundError):
        users.set_status("404404404", UserStatus.INACTIVE)


def test_lists_are_newest_login_first_and_page_with_cursors(users: UserRepository) -> None:
    for day in range(1, 6):
        users.create(profile(f"00000000{day}", last_login_at=f"2026-01-0{day}T00:00:00Z"))
    users.create(profile("100000000", email="x@other.org", email_domain="other.org"))
    first = users.list_by_domain("EXAMPLE.edu", limit=2)
    assert [user.user_id for user in first.users] == ["000000005", "000000004"]
    assert first.next_cursor
    second = users.list_by_domain("example.edu", limit=2, cursor=first.next_cursor)
    assert [user.user_id for user in second.users] == ["000000003", "000000002"]
    third = users.list_by_domain("example.edu", limit=2, cursor=second.next_cursor)
    assert [user.user_id for user in third.users] == ["000000001"]
    assert third.next_cursor is None
    assert len(users.list_by_status(UserStatus.ACTIVE, limit=100).users) == 6


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(json.dumps({"PK": {"S": "USER#1"}}).encode()).decode(),
        base64.urlsafe_b64encode(
            json.dumps({"PK": {"N": "1"}, "SK": {"S": "P"}, "GSI2PK": {"S": "x"}, "GSI2SK": {"S": "y"}}).encode()
        ).decode(),
    ],
)
def test_a_bad_cursor_is_a_400_not_a_restart(users: UserRepository, cursor: str) -> None:
    with pytest.raises(InvalidCursorError) as invalid:
        users.list_by_domain("example.edu", cursor=cursor)
    assert invalid.value.status_code == 400
    assert invalid.value.field == "cursor"


def test_a_cursor_of_another_domain_is_refused(users: UserRepository) -> None:
    for number in range(1, 4):
        users.create(profile(f"20000000{number}", email=f"u{number}@other.org", email_domain="other.org"))
    other = users.list_by_domain("other.org", limit=1).next_cursor
    with pytest.raises(InvalidCursorError) as invalid:
        users.list_by_domain("example.edu", cursor=other)
    assert (invalid.value.status_code, invalid.value.field) == (400, "cursor")


def test_conditional_writes_are_exactly_these(dynamodb) -> None:
    users = UserRepository(dynamodb, "users")
    item = ANY
    with Stubber(dynamodb) as stubber:
        stubber.add_response(
            "put_item",
            {},
            {"TableName": "users", "Item": item, "ConditionExpression": "attribute_not_exists(PK)"},
        )
        stubber.add_response(
            "put_item", {}, {"TableName": "users", "Item": item, "ConditionExpression": "attribute_exists(PK)"}
        )
        stubber.add_client_error("put_item", "ConditionalCheckFailedException")
        users.create(profile())
        users.update(profile())
        with pytest.raises(UserNotFoundError):
            users.update(profile())
        stubber.assert_no_pending_responses()


def test_the_upsert_is_one_update_that_keeps_created_at_and_status(dynamodb) -> None:
    users = UserRepository(dynamodb, "users")
    stored = {
        "PK": "USER#123456789", "SK": "PROFILE", "userId": "123456789", "email": "u@example.edu", "name": "U",
        "roles": ["Faculty"], "emailDomain": "example.edu", "createdAt": "2025-01-01T00:00:00Z",
        "lastLoginAt": "2026-01-01T00:00:00Z", "status": "active",
    }  # fmt: skip
    with Stubber(dynamodb) as stubber:
        stubber.add_response(
            "update_item",
            {"Attributes": to_item(stored)},
            {
                "TableName": "users",
                "Key": to_item({"PK": "USER#123456789", "SK": "PROFILE"}),
                "UpdateExpression": ANY,
                "ExpressionAttributeNames": ANY,
                "ExpressionAttributeValues": ANY,
                "ReturnValues": "ALL_NEW",
            },
        )
        result, is_new = users.upsert(profile())
        stubber.assert_no_pending_responses()
    assert not is_new and result.created_at == "2025-01-01T00:00:00Z"


CALLS = {
    "get": ("GetItem", lambda users: users.get("1")),
    "get_by_email": ("Query", lambda users: users.get_by_email("a@b.c")),
    "create": ("PutItem", lambda users: users.create(profile())),
    "update": ("PutItem", lambda users: users.update(profile())),
    "upsert": ("UpdateItem", lambda users: users.upsert(profile())),
    "set_status": ("UpdateItem", lambda users: users.set_status("1", UserStatus.INACTIVE)),
    "list_by_domain": ("Query", lambda users: users.list_by_domain("example.edu")),
    "list_by_status": ("Query", lambda users: users.list_by_status(UserStatus.ACTIVE)),
}


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_call_propagates_dynamodb_failures(users: UserRepository, call: str, fault: Fault) -> None:
    operation, invoke = CALLS[call]
    with inject_fault(users._client, operation, fault) as failed, pytest.raises(fault.error) as raised:
        invoke(users)
    assert failed == [operation]
    assert_fault(raised.value, fault)


def test_sync_from_user_creates_then_refreshes(users: UserRepository) -> None:
    sync = UserSyncService(users)
    user = User("123456789", "ada@example.edu", "Ada", roles=("Faculty",), picture=None)
    created, is_new = sync.sync_from_user(user)
    assert is_new and created.email_domain == "example.edu" and created.status is UserStatus.ACTIVE
    refreshed, is_new = sync.sync_from_user(User("123456789", "ada@example.edu", "Ada L.", roles=("Staff",)))
    assert not is_new
    assert refreshed.created_at == created.created_at
    assert refreshed.name == "Ada L."


def test_sync_failures_propagate(users: UserRepository) -> None:
    sync = UserSyncService(users)
    with inject_fault(users._client, "UpdateItem", FAULTS[0]), pytest.raises(FAULTS[0].error):
        sync.sync_from_user(User("123456789", "ada@example.edu", "Ada"))
