"""app-api seeds the system roles at startup and refuses to start when it cannot."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from apis.app_api.container import build_container
from apis.app_api.main import create_app
from apis.app_api.settings import AppApiSettings
from apis.shared.auth import AuthConfigurationError
from apis.shared.rbac import AppRoleRepository
from tests.support.faults import FAULTS, inject_fault


def test_startup_seeds_the_system_roles(client: TestClient, dynamodb) -> None:
    roles = AppRoleRepository(dynamodb, "app-roles")
    assert roles.get_or_raise("system_admin").is_system_role
    assert roles.get_or_raise("default").effective_permissions.quota_tier == "tier_basic"


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_a_service_that_cannot_seed_does_not_start(app, dynamodb, fault) -> None:
    with inject_fault(dynamodb, "TransactWriteItems", fault), pytest.raises(fault.error), TestClient(app):
        pass


def test_production_without_an_issuer_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with pytest.raises(AuthConfigurationError):
        build_container(AppApiSettings(environment="production"))
    with pytest.raises(AuthConfigurationError, match="only be disabled in development"):
        build_container(AppApiSettings(environment="production", auth_mode="disabled"))
    assert create_app(AppApiSettings(environment="development", auth_mode="disabled"))
