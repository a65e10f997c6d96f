from __future__ import annotations

import pytest

from apis.shared.rbac import (
    APP_ROLES_TABLE,
    AppRole,
    AppRoleAdminService,
    AppRoleCache,
    AppRoleRepository,
    AppRoleService,
)
from tests.support.aws import table


@pytest.fixture
def repository(dynamodb) -> AppRoleRepository:
    return AppRoleRepository(dynamodb, table(dynamodb, "app-roles", APP_ROLES_TABLE))


@pytest.fixture
def cache() -> AppRoleCache:
    return AppRoleCache()


@pytest.fixture
def admin(repository: AppRoleRepository, cache: AppRoleCache) -> AppRoleAdminService:
    return AppRoleAdminService(repository, cache)


@pytest.fixture
def service(repository: AppRoleRepository, cache: AppRoleCache) -> AppRoleService:
    return AppRoleService(repository, cache)


def role(role_id: str = "faculty_users", **overrides) -> AppRole:
    values = {
        "role_id": role_id,
        "display_name": role_id.replace("_", " ").title(),
        "jwt_role_mappings": ["Faculty"],
        "granted_tools": ["web_search"],
        "granted_models": ["claude-haiku"],
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    } | overrides
    return AppRole(**values)
