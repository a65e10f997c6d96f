"""AppRoles in DynamoDB: the role and its mapping items change in one transaction."""

from __future__ import annotations

import pytest
from botocore.stub import ANY, Stubber

from apis.shared.errors import InputValidationError
from apis.shared.rbac import (
    MAX_MAPPINGS,
    AppRoleChangedError,
    AppRoleExistsError,
    AppRoleNotFoundError,
    AppRoleRepository,
)
from tests.shared.rbac.conftest import role
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault


def test_create_get_list_and_lookups(repository: AppRoleRepository) -> None:
    repository.create(role("faculty_users", priority=10))
    repository.create(role("staff_users", jwt_role_mappings=["Staff", "Faculty"], granted_tools=["code"], priority=50))
    repository.create(role("off_users", jwt_role_mappings=["Faculty"], enabled=False))
    assert repository.get("faculty_users") == role("faculty_users", priority=10)
    assert repository.get("nobody") is None
    assert repository.exists("staff_users") and not repository.exists("nobody")
    assert [r.role_id for r in repository.list_roles()] == ["staff_users", "faculty_users", "off_users"]
    assert [r.role_id for r in repository.list_roles(enabled_only=True)] == ["staff_users", "faculty_users"]
    assert repository.role_ids_for_jwt_role("Faculty") == ["faculty_users", "staff_users"]
    assert repository.role_ids_for_jwt_role("Unknown") == []
    assert repository.role_ids_for_tool("code") == ["staff_users"]
    assert repository.role_ids_for_model("claude-haiku") == ["faculty_users", "staff_users"]


def test_create_twice_is_refused(repository: AppRoleRepository) -> None:
    repository.create(role())
    with pytest.raises(AppRoleExistsError) as exists:
        repository.create(role(display_name="Again"))
    assert exists.value.status_code == 409


def test_update_rewrites_the_mappings(repository: AppRoleRepository) -> None:
    current = repository.create(role())
    updated = current.model_copy(
        update={"jwt_role_mappings": ["Staff"], "granted_tools": [], "updated_at": "2026-02-02T00:00:00Z"}
    )
    repository.update(current, updated)
    assert repository.get_or_raise(current.role_id) == updated
    assert repository.role_ids_for_jwt_role("Faculty") == []
    assert repository.role_ids_for_jwt_role("Staff") == [current.role_id]
    assert repository.role_ids_for_tool("web_search") == []


def test_disabling_a_role_hides_its_mappings(repository: AppRoleRepository) -> None:
    current = repository.create(role())
    repository.update(current, current.model_copy(update={"enabled": False, "updated_at": "2026-02-02T00:00:00Z"}))
    assert repository.role_ids_for_jwt_role("Faculty") == []


def test_a_stale_update_is_a_conflict(repository: AppRoleRepository) -> None:
    current = repository.create(role())
    repository.update(
        current, current.model_copy(update={"description": "first", "updated_at": "2026-02-02T00:00:00Z"})
    )
    with pytest.raises(AppRoleChangedError) as stale:
        repository.update(
            current, current.model_copy(update={"description": "second", "updated_at": "2026-03-03T00:00:00Z"})
        )
    assert stale.value.status_code == 409
    assert repository.get_or_raise(current.role_id).description == "first"


def test_delete_removes_role_and_mappings(repository: AppRoleRepository) -> None:
    current = repository.create(role())
    repository.delete(current)
    assert repository.get(current.role_id) is None
    assert repository.role_ids_for_jwt_role("Faculty") == []
    with pytest.raises(AppRoleNotFoundError):
        repository.delete(current)
    with pytest.raises(AppRoleNotFoundError):
        repository.get_or_raise(current.role_id)


def test_too_many_mappings_for_one_transaction_are_refused(repository: AppRoleRepository) -> None:
    with pytest.raises(InputValidationError):
        repository.create(role(granted_tools=[f"tool_{n}" for n in range(MAX_MAPPINGS + 1)]))
    assert repository.get("faculty_users") is None


def test_a_cancelled_update_transaction_is_a_conflict(dynamodb) -> None:
    repository = AppRoleRepository(dynamodb, "app-roles")
    current = role()
    with Stubber(dynamodb) as stubber:
        stubber.add_response("transact_write_items", {}, {"TransactItems": ANY})
        stubber.add_response("transact_write_items", {}, {"TransactItems": ANY})
        stubber.add_client_error(
            "transact_write_items",
            "TransactionCanceledException",
            response_meta={},
            modeled_fields={"CancellationReasons": [{"Code": "ConditionalCheckFailed"}]},
        )
        repository.create(current)
        repository.update(current, current.model_copy(update={"updated_at": "2026-02-02T00:00:00Z"}))
        with pytest.raises(AppRoleChangedError):
            repository.update(current, current.model_copy(update={"updated_at": "2026-03-03T00:00:00Z"}))
        stubber.assert_no_pending_responses()


def test_create_and_update_requests_exactly(repository: AppRoleRepository) -> None:
    captured: list[dict] = []
    repository._client.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems", lambda params, **_: captured.append(params)
    )
    current = role(jwt_role_mappings=["Faculty"], granted_tools=["a"], granted_models=[])
    repository.create(current)
    repository.update(
        current, current.model_copy(update={"granted_tools": ["b"], "updated_at": "2026-02-02T00:00:00Z"})
    )
    create, update = (params["TransactItems"] for params in captured)
    assert create[0]["Put"]["ConditionExpression"] == "attribute_not_exists(PK)"
    assert {entry["Put"]["Item"]["SK"]["S"] for entry in create} == {
        "DEFINITION",
        "JWT_MAPPING#Faculty",
        "TOOL_GRANT#a",
    }
    assert update[0]["Put"]["ConditionExpression"] == "attribute_exists(PK) AND updatedAt = :expected"
    assert update[0]["Put"]["ExpressionAttributeValues"] == {":expected": {"S": "2026-01-01T00:00:00Z"}}
    deletes = [entry["Delete"]["Key"]["SK"]["S"] for entry in update if "Delete" in entry]
    puts = [entry["Put"]["Item"]["SK"]["S"] for entry in update if "Put" in entry]
    assert deletes == ["TOOL_GRANT#a"]
    assert puts == ["DEFINITION", "JWT_MAPPING#Faculty", "TOOL_GRANT#b"]


CALLS = {
    "get": ("GetItem", lambda repo: repo.get("faculty_users")),
    "list_roles": ("Scan", lambda repo: repo.list_roles()),
    "create": ("TransactWriteItems", lambda repo: repo.create(role())),
    "update": ("TransactWriteItems", lambda repo: repo.update(role(), role(description="x"))),
    "delete": ("TransactWriteItems", lambda repo: repo.delete(role())),
    "role_ids_for_jwt_role": ("Query", lambda repo: repo.role_ids_for_jwt_role("Faculty")),
    "role_ids_for_tool": ("Query", lambda repo: repo.role_ids_for_tool("web_search")),
    "role_ids_for_model": ("Query", lambda repo: repo.role_ids_for_model("claude-haiku")),
}


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_call_propagates_dynamodb_failures(repository: AppRoleRepository, call: str, fault: Fault) -> None:
    operation, invoke = CALLS[call]
    with inject_fault(repository._client, operation, fault) as failed, pytest.raises(fault.error) as raised:
        invoke(repository)
    assert failed == [operation]
    assert_fault(raised.value, fault)
