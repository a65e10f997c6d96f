"""``/admin/roles/``: admins read; system admins create, patch, delete, sync and manage caches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.app_api.conftest import person
from tests.support.faults import FAULT_IDS, FAULTS, inject_fault

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

SYSTEM_ADMIN = person("900000001", "root@example.edu", "DotNetDevelopers")
ADMIN = person("900000002", "admin@example.edu", "Admin")
USER = person("111111111", "ada@example.edu", "Faculty")

ROLE = {"roleId": "researchers", "displayName": "Researchers", "description": "Research staff",
        "jwtRoleMappings": ["Researcher"], "inheritsFrom": [], "grantedTools": ["web_search"],
        "grantedModels": ["us.amazon.nova-pro-v1:0"], "priority": 50, "enabled": True}  # fmt: skip


def test_list_and_create_use_the_trailing_slash(client: TestClient) -> None:
    listed = client.get("/admin/roles/", headers=ADMIN)
    assert listed.status_code == 200
    assert {"system_admin", "default"} <= {role["roleId"] for role in listed.json()["roles"]}
    assert listed.json()["total"] == len(listed.json()["roles"])
    created = client.post("/admin/roles/", json=ROLE, headers=SYSTEM_ADMIN)
    assert created.status_code == 201, created.text
    role = created.json()
    assert role["effectivePermissions"]["tools"] == ["web_search"] and role["isSystemRole"] is False
    assert set(role) >= {"roleId", "displayName", "jwtRoleMappings", "inheritsFrom", "grantedTools",
                         "grantedModels", "priority", "enabled", "createdAt", "updatedAt", "createdBy"}  # fmt: skip
    assert client.get("/admin/roles/researchers", headers=ADMIN).json()["displayName"] == "Researchers"


def test_patch_sync_delete(client: TestClient) -> None:
    client.post("/admin/roles/", json=ROLE, headers=SYSTEM_ADMIN)
    patched = client.patch("/admin/roles/researchers", json={"grantedTools": ["calculator"]}, headers=SYSTEM_ADMIN)
    assert patched.status_code == 200 and patched.json()["effectivePermissions"]["tools"] == ["calculator"]
    synced = client.post("/admin/roles/researchers/sync", json={}, headers=SYSTEM_ADMIN)
    assert synced.status_code == 200 and synced.json()["roleId"] == "researchers"
    assert client.delete("/admin/roles/researchers", headers=SYSTEM_ADMIN).status_code == 204
    assert client.get("/admin/roles/researchers", headers=ADMIN).status_code == 404
    system = client.delete("/admin/roles/system_admin", headers=SYSTEM_ADMIN)
    assert system.status_code == 400 and "cannot be deleted" in system.json()["error"]["message"]


def test_a_duplicate_role_is_409(client: TestClient) -> None:
    client.post("/admin/roles/", json=ROLE, headers=SYSTEM_ADMIN)
    again = client.post("/admin/roles/", json=ROLE, headers=SYSTEM_ADMIN)
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_cache_stats_and_invalidate(client: TestClient) -> None:
    client.get("/models", headers=USER)  # resolves the user's roles through the cache
    stats = client.get("/admin/roles/cache/stats", headers=SYSTEM_ADMIN).json()
    assert set(stats) == {"users", "roles", "mappings"} and stats["users"]["size"] >= 1
    emptied = client.post("/admin/roles/cache/invalidate", json={}, headers=SYSTEM_ADMIN).json()
    assert emptied["users"]["size"] == 0


def test_guards(client: TestClient) -> None:
    assert client.get("/admin/roles/", headers=USER).status_code == 403
    for response in (
        client.post("/admin/roles/", json=ROLE, headers=ADMIN),
        client.patch("/admin/roles/default", json={"priority": 1}, headers=ADMIN),
        client.delete("/admin/roles/default", headers=ADMIN),
        client.post("/admin/roles/default/sync", json={}, headers=ADMIN),
        client.get("/admin/roles/cache/stats", headers=ADMIN),
        client.post("/admin/roles/cache/invalidate", json={}, headers=ADMIN),
    ):
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_storage_failures_are_5xx(client: TestClient, dynamodb: Any, fault) -> None:
    with inject_fault(dynamodb, "Query", fault), inject_fault(dynamodb, "Scan", fault):
        response = client.get("/admin/roles/", headers=ADMIN)
    assert response.status_code == fault.status and response.json()["error"]["code"] == fault.code
