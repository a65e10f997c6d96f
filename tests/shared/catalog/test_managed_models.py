"""Managed models: CRUD with a race-proof unique modelId, access filtering, and every call's failures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apis.shared.auth import User
from apis.shared.catalog import (
    MANAGED_MODELS_TABLE,
    DuplicateModelIdError,
    ManagedModelCreate,
    ManagedModelNotFoundError,
    ManagedModelRepository,
    ManagedModelService,
    ManagedModelUpdate,
    ProviderKind,
)
from apis.shared.errors import ConflictError
from apis.shared.rbac import APP_ROLES_TABLE, AppRole, AppRoleCache, AppRoleRepository, AppRoleService
from apis.shared.rbac import EffectivePermissions as Grants
from tests.support.aws import table
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault


def create_data(model_id: str = "us.anthropic.claude-haiku", **fields) -> ManagedModelCreate:
    values = {
        "model_id": model_id, "model_name": model_id.rsplit(".", maxsplit=1)[-1].title(),
        "provider": ProviderKind.BEDROCK,
        "input_modalities": ["TEXT"], "output_modalities": ["TEXT"], "max_input_tokens": 200_000,
        "max_output_tokens": 8192, "input_price_per_million_tokens": Decimal("0.80"),
        "output_price_per_million_tokens": Decimal("4.00"),
    } | fields  # fmt: skip
    return ManagedModelCreate(**values)


@pytest.fixture
def repository(dynamodb) -> ManagedModelRepository:
    return ManagedModelRepository(dynamodb, table(dynamodb, "managed-models", MANAGED_MODELS_TABLE))


@pytest.fixture
def roles(dynamodb) -> AppRoleRepository:
    return AppRoleRepository(dynamodb, table(dynamodb, "app-roles", APP_ROLES_TABLE))


@pytest.fixture
def service(repository: ManagedModelRepository, roles: AppRoleRepository) -> ManagedModelService:
    return ManagedModelService(repository, AppRoleService(roles, AppRoleCache()))


def test_create_get_list_update_delete(service: ManagedModelService) -> None:
    haiku = service.create(create_data())
    assert haiku.supports_caching is True, "Bedrock models cache unless told otherwise"
    gpt = service.create(create_data("gpt-4.1", model_name="GPT 4.1", provider=ProviderKind.OPENAI))
    assert gpt.supports_caching is False
    assert service.get(haiku.id) == haiku
    assert service.get_by_model_id("gpt-4.1") == gpt
    assert service.get_by_model_id("nope") is None
    assert [m.model_id for m in service.list_all()] == ["us.anthropic.claude-haiku", "gpt-4.1"], "by name"
    updated = service.update(haiku.id, ManagedModelUpdate(enabled=False, output_price_per_million_tokens=Decimal(5)))
    assert (updated.enabled, updated.output_price_per_million_tokens, updated.model_name) == (False, 5, "Claude-Haiku")
    assert updated.model_dump(mode="json")["outputPricePerMillionTokens"] == 5.0
    service.delete(haiku.id)
    with pytest.raises(ManagedModelNotFoundError) as missing:
        service.get(haiku.id)
    assert missing.value.status_code == 404
    with pytest.raises(ManagedModelNotFoundError):
        service.delete(haiku.id)


def test_model_ids_stay_unique_across_create_rename_and_delete(service: ManagedModelService) -> None:
    first = service.create(create_data("m-1"))
    with pytest.raises(DuplicateModelIdError) as duplicate:
        service.create(create_data("m-1"))
    assert duplicate.value.status_code == 409
    second = service.create(create_data("m-2"))
    with pytest.raises(DuplicateModelIdError):
        service.update(second.id, ManagedModelUpdate(model_id="m-1"))
    service.update(first.id, ManagedModelUpdate(model_id="m-3"))
    assert service.update(second.id, ManagedModelUpdate(model_id="m-1")).model_id == "m-1", "the old id was freed"
    service.delete(second.id)
    assert service.create(create_data("m-1")).model_id == "m-1", "deleting frees the id"


def test_a_stale_update_is_a_conflict(service: ManagedModelService, repository: ManagedModelRepository) -> None:
    model = service.create(create_data())
    repository.update(model, model.model_copy(update={"model_name": "theirs", "updated_at": "2030-01-01T00:00:00Z"}))
    with pytest.raises(ConflictError) as stale:
        repository.update(model, model.model_copy(update={"model_name": "mine", "updated_at": "2031-01-01"}))
    assert stale.value.status_code == 409


def test_invalid_models_are_refused() -> None:
    with pytest.raises(ValueError, match=r"input_modalities|inputModalities"):
        create_data(input_modalities=[])
    with pytest.raises(ValueError, match=r"max_output_tokens|maxOutputTokens"):
        create_data(max_output_tokens=0)


def grant(roles: AppRoleRepository, jwt_role: str, models: list[str]) -> None:
    roles.create(
        AppRole(
            role_id=f"role_{jwt_role.lower()}", display_name=jwt_role, jwt_role_mappings=[jwt_role],
            granted_models=models, effective_permissions=Grants(models=models), created_at="t", updated_at="t",
        )
    )  # fmt: skip


def test_access_by_app_role_wildcard_and_legacy_jwt_roles(
    service: ManagedModelService, roles: AppRoleRepository
) -> None:
    haiku = service.create(create_data("haiku"))
    sonnet = service.create(create_data("sonnet", available_to_roles=["Staff"]))
    service.create(create_data("retired", enabled=False, available_to_roles=["Staff"]))
    grant(roles, "Faculty", ["haiku"])
    grant(roles, "Admins", ["*"])
    faculty = User("1", "f@x.edu", "F", roles=("Faculty",))
    staff = User("2", "s@x.edu", "S", roles=("Staff",))
    admin = User("3", "a@x.edu", "A", roles=("Admins",))
    nobody = User("4", "n@x.edu", "N", roles=("Visitor",))
    assert [m.id for m in service.accessible_models(faculty)] == [haiku.id]
    assert [m.id for m in service.accessible_models(staff)] == [sonnet.id]
    assert {m.model_id for m in service.accessible_models(admin)} == {"haiku", "sonnet"}, "disabled models never show"
    assert service.accessible_models(nobody) == []


def test_a_permission_failure_is_not_a_fallback(service: ManagedModelService, roles: AppRoleRepository) -> None:
    service.create(create_data("sonnet", available_to_roles=["Staff"]))
    with inject_fault(roles._client, "Query", FAULTS[0]), pytest.raises(FAULTS[0].error):
        service.accessible_models(User("2", "s@x.edu", "S", roles=("Staff",)))


def test_filtering_needs_app_roles(repository: ManagedModelRepository) -> None:
    with pytest.raises(RuntimeError):
        ManagedModelService(repository).accessible_models(User("1", "a@b.c", "A"))


def test_the_create_transaction_guards_the_model_id(repository: ManagedModelRepository) -> None:
    captured: list[dict] = []
    repository._client.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems", lambda params, **_: captured.append(params)
    )
    ManagedModelService(repository).create(create_data("m-9"))
    guard, model = captured[0]["TransactItems"]
    assert guard["Put"]["Item"]["PK"] == {"S": "MODELID#m-9"}
    assert guard["Put"]["ConditionExpression"] == model["Put"]["ConditionExpression"] == "attribute_not_exists(PK)"
    assert model["Put"]["Item"]["GSI1PK"] == {"S": "MODEL#m-9"}


CALLS = {
    "get": ("GetItem", lambda s: s.get("x")),
    "get_by_model_id": ("Query", lambda s: s.get_by_model_id("x")),
    "list_all": ("Scan", lambda s: s.list_all()),
    "create": ("TransactWriteItems", lambda s: s.create(create_data("new"))),
}


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_call_propagates_dynamodb_failures(service: ManagedModelService, call: str, fault: Fault) -> None:
    operation, invoke = CALLS[call]
    client = service._repository._client
    with inject_fault(client, operation, fault) as failed, pytest.raises(fault.error) as raised:
        invoke(service)
    assert failed == [operation]
    assert_fault(raised.value, fault)


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_updates_and_deletes_propagate_failures(service: ManagedModelService, fault: Fault) -> None:
    model = service.create(create_data())
    client = service._repository._client
    with inject_fault(client, "TransactWriteItems", fault), pytest.raises(fault.error):
        service.update(model.id, ManagedModelUpdate(enabled=False))
    with inject_fault(client, "TransactWriteItems", fault), pytest.raises(fault.error):
        service.delete(model.id)
