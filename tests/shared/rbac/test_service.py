"""Permission resolution: mappings, wildcards, the default fallback, caching, failures that propagate."""

from __future__ import annotations

import pytest

from apis.shared.auth import User
from apis.shared.rbac import AppRoleCache, AppRoleRepository, AppRoleService, EffectivePermissions, seed_system_roles
from tests.shared.rbac.conftest import role
from tests.support.faults import FAULTS, inject_fault

FACULTY = User("111111111", "f@example.edu", "F", roles=("Faculty",))
STRANGER = User("222222222", "s@example.edu", "S", roles=("Visitor",))


class CountingRepository(AppRoleRepository):
    def __init__(self, inner: AppRoleRepository) -> None:
        super().__init__(inner._client, inner._table)
        self.calls = 0

    def get(self, role_id: str):
        self.calls += 1
        return super().get(role_id)

    def role_ids_for_jwt_role(self, jwt_role: str):
        self.calls += 1
        return super().role_ids_for_jwt_role(jwt_role)


def stored(repository: AppRoleRepository, role_id: str, **overrides) -> None:
    base = role(role_id, **overrides)
    effective = EffectivePermissions(tools=base.granted_tools, models=base.granted_models, quota_tier=base.quota_tier)
    repository.create(base.model_copy(update={"effective_permissions": effective}))


def test_permissions_merge_over_every_mapped_role(repository: AppRoleRepository, service: AppRoleService) -> None:
    stored(repository, "faculty_users", granted_tools=["web_search"], granted_models=["m1"], priority=10,
           quota_tier="tier_faculty")  # fmt: skip
    stored(
        repository,
        "researchers",
        granted_tools=["code"],
        granted_models=["m2"],
        priority=50,
        quota_tier="tier_research",
    )
    stored(repository, "disabled_users", granted_tools=["admin_tool"], enabled=False)
    permissions = service.resolve_user_permissions(FACULTY)
    assert permissions.app_roles == ["researchers", "faculty_users"]
    assert permissions.tools == ["code", "web_search"]
    assert permissions.models == ["m1", "m2"]
    assert permissions.quota_tier == "tier_research", "the highest-priority role with a tier decides"
    assert service.can_access_tool(FACULTY, "code") and not service.can_access_tool(FACULTY, "admin_tool")
    assert service.can_access_model(FACULTY, "m2") and not service.can_access_model(FACULTY, "m3")
    assert service.accessible_tools(FACULTY) == ["code", "web_search"]
    assert service.accessible_models(FACULTY) == ["m1", "m2"]
    assert service.user_quota_tier(FACULTY) == "tier_research"


def test_a_wildcard_grants_everything(repository: AppRoleRepository, service: AppRoleService) -> None:
    stored(repository, "power_users", granted_tools=["*"], granted_models=["m1"])
    permissions = service.resolve_user_permissions(FACULTY)
    assert permissions.tools == ["*"]
    assert service.can_access_tool(FACULTY, "anything")


def test_unmapped_users_get_the_default_role(repository: AppRoleRepository, service: AppRoleService) -> None:
    seed_system_roles(repository)
    permissions = service.resolve_user_permissions(STRANGER)
    assert permissions.app_roles == ["default"]
    assert permissions.tools == [] and permissions.models == []
    assert permissions.quota_tier == "tier_basic"


def test_no_roles_and_no_default_means_nothing(service: AppRoleService) -> None:
    permissions = service.resolve_user_permissions(STRANGER)
    assert (permissions.app_roles, permissions.tools, permissions.quota_tier) == ([], [], None)


def test_results_are_cached_per_user_and_role_set(repository: AppRoleRepository) -> None:
    stored(repository, "faculty_users")
    counting = CountingRepository(repository)
    service = AppRoleService(counting, AppRoleCache())
    service.resolve_user_permissions(FACULTY)
    calls = counting.calls
    for _ in range(10):
        service.resolve_user_permissions(FACULTY)
    assert counting.calls == calls
    other_faculty = User("333333333", "o@example.edu", "O", roles=("Faculty",))
    service.resolve_user_permissions(other_faculty)
    assert counting.calls == calls, "mappings and roles are cached across users"


def test_a_storage_failure_propagates_instead_of_deciding_on_partial_data(
    repository: AppRoleRepository, service: AppRoleService
) -> None:
    stored(repository, "faculty_users")
    with inject_fault(repository._client, "Query", FAULTS[1]), pytest.raises(FAULTS[1].error):
        service.can_access_model(FACULTY, "claude-haiku")
    assert service.can_access_model(FACULTY, "claude-haiku"), "a failure is not cached"
