"""``/admin/managed-models``: CRUD by ``ManagedModel.id``, admin-only, duplicates refused, failures are 5xx."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.app_api.conftest import person
from tests.support.faults import FAULT_IDS, FAULTS, inject_fault

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ADMIN = person("900000001", "admin@example.edu", "Admin")
USER = person("111111111", "ada@example.edu", "Faculty")

FORM = {
    "modelId": "us.amazon.nova-pro-v1:0", "modelName": "Nova Pro", "provider": "bedrock", "providerName": "Amazon",
    "inputModalities": ["TEXT"], "outputModalities": ["TEXT"], "maxInputTokens": 300000, "maxOutputTokens": 5000,
    "allowedAppRoles": [], "availableToRoles": ["Faculty"], "enabled": True, "inputPricePerMillionTokens": 0.8,
    "outputPricePerMillionTokens": 3.2, "cacheWritePricePerMillionTokens": None, "cacheReadPricePerMillionTokens": None,
    "isReasoningModel": False, "knowledgeCutoffDate": None, "supportsCaching": False,
}  # fmt: skip


def test_crud_by_the_model_uuid(client: TestClient) -> None:
    created = client.post("/admin/managed-models", json=FORM, headers=ADMIN)
    assert created.status_code == 201, created.text
    model: dict[str, Any] = created.json()
    assert model["modelId"] == FORM["modelId"] and model["id"] != model["modelId"]
    path = f"/admin/managed-models/{model['id']}"
    assert client.get(path, headers=ADMIN).json()["modelName"] == "Nova Pro"
    listed = client.get("/admin/managed-models", headers=ADMIN).json()
    assert listed["totalCount"] == 1 and listed["models"][0]["id"] == model["id"]
    updated = client.put(path, json={**FORM, "modelName": "Nova Pro v1", "enabled": False}, headers=ADMIN)
    assert updated.status_code == 200 and updated.json()["modelName"] == "Nova Pro v1"
    assert updated.json()["enabled"] is False
    assert client.get("/models", headers=USER).json()["models"] == []  # disabled: not offered to users
    assert client.delete(path, headers=ADMIN).status_code == 204
    missing = client.get(path, headers=ADMIN)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_a_duplicate_model_id_is_refused(client: TestClient) -> None:
    client.post("/admin/managed-models", json=FORM, headers=ADMIN)
    again = client.post("/admin/managed-models", json=FORM, headers=ADMIN)
    assert again.status_code == 409 and again.json()["error"]["message"]


def test_users_are_403_and_anonymous_401(client: TestClient) -> None:
    for response in (
        client.get("/admin/managed-models", headers=USER),
        client.post("/admin/managed-models", json=FORM, headers=USER),
        client.delete("/admin/managed-models/x", headers=USER),
    ):
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert client.get("/admin/managed-models").status_code == 401


def test_invalid_form_is_422(client: TestClient) -> None:
    response = client.post("/admin/managed-models", json={**FORM, "provider": "acme"}, headers=ADMIN)
    assert response.status_code == 422 and response.json()["error"]["field"] == "body.provider"


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_storage_failures_are_5xx(client: TestClient, dynamodb: Any, fault) -> None:
    with inject_fault(dynamodb, "Scan", fault), inject_fault(dynamodb, "Query", fault):
        response = client.get("/admin/managed-models", headers=ADMIN)
    assert response.status_code == fault.status and response.json()["error"]["code"] == fault.code
    with inject_fault(dynamodb, "TransactWriteItems", fault):
        created = client.post("/admin/managed-models", json=FORM, headers=ADMIN)
    assert created.status_code == fault.status
