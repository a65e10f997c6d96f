"""``GET /models``: the managed models the caller may use, filtered by AppRole and legacy roles."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from apis.shared.catalog import ManagedModelCreate, ManagedModelRepository, ManagedModelService, ProviderKind
from apis.shared.rbac import AppRole, AppRoleRepository, EffectivePermissions
from tests.app_api.conftest import bearer
from tests.support.faults import FAULTS, inject_fault

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def add_model(dynamodb, model_id: str, **fields) -> None:
    data = ManagedModelCreate(
        model_id=model_id, model_name=model_id, provider=ProviderKind.BEDROCK, input_modalities=["TEXT"],
        output_modalities=["TEXT"], max_input_tokens=1000, max_output_tokens=100,
        input_price_per_million_tokens=Decimal(1), **fields,
    )  # fmt: skip
    ManagedModelService(ManagedModelRepository(dynamodb, "managed-models")).create(data)


def grant(dynamodb, jwt_role: str, models: list[str]) -> None:
    AppRoleRepository(dynamodb, "app-roles").create(
        AppRole(role_id=f"r_{jwt_role.lower()}", display_name=jwt_role, jwt_role_mappings=[jwt_role],
                granted_models=models, effective_permissions=EffectivePermissions(models=models),
                created_at="t", updated_at="t")
    )  # fmt: skip


def test_models_are_filtered_by_access(client: TestClient, dynamodb) -> None:
    add_model(dynamodb, "haiku")
    add_model(dynamodb, "sonnet", available_to_roles=["Staff"])
    add_model(dynamodb, "off", enabled=False)
    grant(dynamodb, "Faculty", ["haiku"])
    body = client.get("/models", headers=bearer(roles=["Faculty"])).json()
    assert [m["modelId"] for m in body["models"]] == ["haiku"] and body["totalCount"] == 1
    assert set(body["models"][0]) >= {"id", "modelId", "modelName", "provider", "inputPricePerMillionTokens",
                                      "supportsCaching", "allowedAppRoles", "availableToRoles", "enabled"}  # fmt: skip
    staff = client.get("/models", headers=bearer(roles=["Staff"])).json()
    assert [m["modelId"] for m in staff["models"]] == ["sonnet"]


def test_models_need_a_token(client: TestClient) -> None:
    response = client.get("/models")
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"


def test_a_storage_failure_is_a_503_not_an_empty_list(client: TestClient, dynamodb) -> None:
    for fault in FAULTS:
        with inject_fault(dynamodb, "Scan", fault):
            response = client.get("/models", headers=bearer())
        assert response.status_code == fault.status
        assert response.json()["error"]["code"] == fault.code
        assert "detail" not in response.json()["error"], "internal text stays out outside development"
