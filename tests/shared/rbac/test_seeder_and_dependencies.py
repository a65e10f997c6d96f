"""Seeding the system roles (failures stop startup) and the FastAPI gates."""

from __future__ import annotations

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from apis.shared.auth import AuthConfig, Authenticator, AuthMode, User
from apis.shared.auth.dependencies import install_authentication
from apis.shared.http import install_error_handlers
from apis.shared.rbac import (
    AppRoleCache,
    AppRoleExistsError,
    AppRoleRepository,
    AppRoleService,
    seed_system_roles,
)
from apis.shared.rbac.dependencies import (
    install_app_roles,
    require_system_admin,
)
from tests.support.faults import FAULTS, assert_fault, inject_fault
from tests.support.tokens import AUDIENCE, ISSUER


def test_seeding_creates_missing_roles_once_and_keeps_edits(repository: AppRoleRepository) -> None:
    assert seed_system_roles(repository) == ["system_admin", "default"]
    system_admin = repository.get_or_raise("system_admin")
    assert system_admin.effective_permissions.tools == ["*"] and system_admin.is_system_role
    assert system_admin.priority == 1000 and system_admin.jwt_role_mappings == []
    default = repository.get_or_raise("default")
    assert default.effective_permissions.quota_tier == "tier_basic"
    edited = default.model_copy(update={"description": "edited", "updated_at": "2030-01-01T00:00:00Z"})
    repository.update(default, edited)
    assert seed_system_roles(repository) == []
    assert repository.get_or_raise("default").description == "edited"


def test_a_concurrent_seed_counts_as_seeded(repository: AppRoleRepository) -> None:
    class RacingRepository(AppRoleRepository):
        def exists(self, role_id: str) -> bool:
            return False

        def create(self, role):
            raise AppRoleExistsError()

    assert seed_system_roles(RacingRepository(repository._client, repository._table)) == []


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_a_seeding_failure_propagates(repository: AppRoleRepository, fault) -> None:
    with inject_fault(repository._client, "TransactWriteItems", fault), pytest.raises(fault.error) as raised:
        seed_system_roles(repository)
    assert_fault(raised.value, fault)


class FixedUser(Authenticator):
    def __init__(self, user: User) -> None:
        super().__init__(AuthConfig(issuer=ISSUER, audiences=(AUDIENCE,), mode=AuthMode.TRUSTED, allow_trusted=True))
        self.user = user

    def authenticate(self, token: str | None) -> User:
        return self.user


def app_for(user: User, service: AppRoleService | None) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    install_authentication(app, FixedUser(user))
    if service is not None:
        install_app_roles(app, service, admin_jwt_roles=["PlatformAdmins"])

    @app.get("/admin", dependencies=[Depends(require_system_admin)])
    def admin() -> str:
        return "ok"

    return TestClient(app)


def test_system_admin_gate_uses_jwt_roles(repository: AppRoleRepository) -> None:
    service = AppRoleService(repository, AppRoleCache())
    assert app_for(User("1", "a@b.c", "A", roles=("PlatformAdmins",)), service).get("/admin").status_code == 200
    denied = app_for(User("1", "a@b.c", "A", roles=("DotNetDevelopers",)), service).get("/admin")
    assert denied.status_code == 403
    assert denied.json()["error"]["message"] == "System administrator access required"


def test_gates_fail_closed_when_not_installed() -> None:
    client = app_for(User("1", "a@b.c", "A", roles=("PlatformAdmins",)), None)
    assert client.get("/admin").status_code == 500


def test_install_needs_an_application(repository: AppRoleRepository) -> None:
    with pytest.raises(TypeError):
        install_app_roles(object(), AppRoleService(repository, AppRoleCache()))
