"""The gate of every model call: a named model and the platform's default pass the same checks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apis.shared.auth import User
from apis.shared.catalog import (
    MANAGED_MODELS_TABLE,
    ManagedModelRepository,
    ManagedModelService,
    ManagedModelUpdate,
    ModelNotConfiguredError,
    ResolvedModel,
)
from apis.shared.errors import BadRequestError, PermissionDeniedError
from apis.shared.quota import PricingSnapshot
from apis.shared.rbac import APP_ROLES_TABLE, AppRoleCache, AppRoleRepository, AppRoleService, UserEffectivePermissions
from tests.shared.catalog.test_managed_models import create_data
from tests.support.aws import table

FACULTY = User("111111111", "ada@example.edu", "Ada", roles=("Faculty",))
VISITOR = User("222222222", "vic@example.edu", "Vic", roles=("Visitor",))
DEFAULT = "us.anthropic.claude-haiku"


@pytest.fixture
def roles(dynamodb) -> AppRoleRepository:
    return AppRoleRepository(dynamodb, table(dynamodb, "app-roles", APP_ROLES_TABLE))


@pytest.fixture
def service(dynamodb, roles: AppRoleRepository) -> ManagedModelService:
    repository = ManagedModelRepository(dynamodb, table(dynamodb, "managed-models", MANAGED_MODELS_TABLE))
    return ManagedModelService(repository, AppRoleService(roles, AppRoleCache()))


def permissions(roles: AppRoleRepository, user: User) -> UserEffectivePermissions:
    return AppRoleService(roles, AppRoleCache()).resolve_user_permissions(user)


@pytest.fixture
def catalogue(service: ManagedModelService) -> ManagedModelService:
    service.create(create_data(DEFAULT, available_to_roles=["Faculty"], max_output_tokens=4096))
    return service


@pytest.mark.parametrize("model_id", [DEFAULT, None], ids=["named", "default"])
def test_the_default_and_a_named_model_resolve_alike(
    catalogue: ManagedModelService,
    roles: AppRoleRepository,
    model_id: str | None,
) -> None:
    resolved = catalogue.resolve_for_call(FACULTY, permissions(roles, FACULTY), model_id, default_model_id=DEFAULT)
    assert (resolved.model_id, resolved.free, resolved.max_output_tokens) == (DEFAULT, False, 4096)
    assert resolved.pricing == PricingSnapshot(model_id=DEFAULT, model_name="Claude-Haiku", provider="bedrock",
                                               input_price_per_million_tokens=Decimal("0.80"),
                                               output_price_per_million_tokens=Decimal("4.00"))  # fmt: skip


@pytest.mark.parametrize("model_id", [DEFAULT, None], ids=["named", "default"])
def test_a_caller_refused_the_model_by_name_is_refused_it_as_the_default(
    catalogue: ManagedModelService,
    roles: AppRoleRepository,
    model_id: str | None,
) -> None:
    with pytest.raises(PermissionDeniedError) as refused:
        catalogue.resolve_for_call(VISITOR, permissions(roles, VISITOR), model_id, default_model_id=DEFAULT)
    assert refused.value.message == f"Model {DEFAULT} is not available to you"
    assert refused.value.field == "model_id"


@pytest.mark.parametrize("model_id", [DEFAULT, None], ids=["named", "default"])
def test_a_disabled_model_is_refused_named_or_default(
    catalogue: ManagedModelService,
    roles: AppRoleRepository,
    model_id: str | None,
) -> None:
    (model,) = catalogue.list_all()
    catalogue.update(model.id, ManagedModelUpdate(enabled=False))
    with pytest.raises(PermissionDeniedError) as refused:
        catalogue.resolve_for_call(FACULTY, permissions(roles, FACULTY), model_id, default_model_id=DEFAULT)
    assert refused.value.message == f"Model {DEFAULT} is disabled"


def test_a_default_missing_from_the_catalogue_is_not_configured_unless_free(
    service: ManagedModelService,
    roles: AppRoleRepository,
) -> None:
    granted = permissions(roles, FACULTY)
    with pytest.raises(ModelNotConfiguredError) as refused:
        service.resolve_for_call(FACULTY, granted, None, default_model_id=DEFAULT)
    assert refused.value.status_code == 503 and refused.value.code.value == "service_unavailable"
    assert DEFAULT in refused.value.message and "catalogue" in refused.value.message
    with pytest.raises(BadRequestError) as unknown:
        service.resolve_for_call(FACULTY, granted, "acme.unknown", default_model_id=DEFAULT)
    assert unknown.value.message == "Unknown model acme.unknown"
    free = service.resolve_for_call(FACULTY, granted, None, default_model_id=DEFAULT, free_model_ids={DEFAULT})
    assert free == ResolvedModel(DEFAULT, None, free=True)
    assert free.pricing == PricingSnapshot(model_id=DEFAULT) and free.max_output_tokens is None


def test_a_model_without_a_price_is_refused_unless_free(
    service: ManagedModelService,
    roles: AppRoleRepository,
) -> None:
    service.create(create_data(DEFAULT, available_to_roles=["Faculty"], input_price_per_million_tokens=Decimal(0),
                               output_price_per_million_tokens=Decimal(0)))  # fmt: skip
    granted = permissions(roles, FACULTY)
    for model_id in (DEFAULT, None):
        with pytest.raises(ModelNotConfiguredError) as refused:
            service.resolve_for_call(FACULTY, granted, model_id, default_model_id=DEFAULT)
        assert (
            refused.value.message
            == f"Model {DEFAULT} has no price in the model catalogue; an administrator must price it"
        )
    free = service.resolve_for_call(FACULTY, granted, None, default_model_id=DEFAULT, free_model_ids=[DEFAULT])
    assert free.free is True and free.managed is not None
    # Free waives the price, not the access check.
    with pytest.raises(PermissionDeniedError):
        service.resolve_for_call(VISITOR, permissions(roles, VISITOR), None, default_model_id=DEFAULT,
                                 free_model_ids=[DEFAULT])  # fmt: skip
