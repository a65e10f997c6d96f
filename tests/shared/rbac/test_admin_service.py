"""Administering AppRoles: inheritance, system-role rules, and caches cleared on change."""

from __future__ import annotations

import pytest

from apis.shared.auth import User
from apis.shared.errors import BadRequestError, ConflictError, InputValidationError, NotFoundError
from apis.shared.rbac import (
    AppRoleAdminService,
    AppRoleCreate,
    AppRoleRepository,
    AppRoleService,
    AppRoleUpdate,
    seed_system_roles,
)

FACULTY = User("111111111", "f@example.edu", "F", roles=("Faculty",))


def create(admin: AppRoleAdminService, role_id: str, **fields):
    values = {"role_id": role_id, "display_name": role_id.title()} | fields
    return admin.create_role(AppRoleCreate(**values), created_by="admin-1")


def test_create_computes_inherited_permissions(admin: AppRoleAdminService) -> None:
    create(admin, "base_users", granted_tools=["search"], granted_models=["m1"], quota_tier="tier_a")
    child = create(admin, "power_users", inherits_from=["base_users"], granted_tools=["code"])
    assert child.effective_permissions.tools == ["code", "search"]
    assert child.effective_permissions.models == ["m1"]
    assert child.effective_permissions.quota_tier == "tier_a"
    assert child.created_by == "admin-1" and child.created_at == child.updated_at
    grandchild = create(admin, "super_users", inherits_from=["power_users"], granted_models=["m2"])
    assert grandchild.effective_permissions.tools == ["code", "search"]
    assert grandchild.effective_permissions.models == ["m1", "m2"]


def test_unknown_parents_cycles_and_duplicates_are_refused(admin: AppRoleAdminService) -> None:
    with pytest.raises(InputValidationError) as missing:
        create(admin, "orphan_users", inherits_from=["nobody"])
    assert missing.value.field == "inheritsFrom"
    create(admin, "a_role")
    create(admin, "b_role", inherits_from=["a_role"])
    with pytest.raises(InputValidationError, match="cycle"):
        admin.update_role("a_role", AppRoleUpdate(inherits_from=["b_role"]))
    with pytest.raises(ConflictError):
        create(admin, "a_role")


def test_changing_a_parent_updates_its_descendants(admin: AppRoleAdminService) -> None:
    create(admin, "base_users", granted_tools=["search"])
    create(admin, "power_users", inherits_from=["base_users"])
    create(admin, "super_users", inherits_from=["power_users"])
    admin.update_role("base_users", AppRoleUpdate(granted_tools=["search", "images"]))
    assert admin.get_role("power_users").effective_permissions.tools == ["images", "search"]
    assert admin.get_role("super_users").effective_permissions.tools == ["images", "search"]
    admin.update_role("base_users", AppRoleUpdate(enabled=False))
    assert admin.get_role("super_users").effective_permissions.tools == [], "disabled parents grant nothing"


def test_system_roles_are_protected(repository: AppRoleRepository, admin: AppRoleAdminService) -> None:
    seed_system_roles(repository)
    renamed = admin.update_role("system_admin", AppRoleUpdate(display_name="Admins", description="Everything"))
    assert renamed.display_name == "Admins" and renamed.effective_permissions.tools == ["*"]
    with pytest.raises(InputValidationError):
        admin.update_role("system_admin", AppRoleUpdate(granted_tools=[]))
    with pytest.raises(BadRequestError):
        admin.delete_role("default")
    with pytest.raises(NotFoundError):
        admin.delete_role("nobody")


def test_a_role_others_inherit_from_cannot_be_deleted(admin: AppRoleAdminService) -> None:
    create(admin, "base_users")
    create(admin, "power_users", inherits_from=["base_users"])
    with pytest.raises(ConflictError, match="power_users"):
        admin.delete_role("base_users")
    admin.delete_role("power_users")
    admin.delete_role("base_users")
    assert admin.list_roles() == []


def test_changes_clear_the_permission_cache(admin: AppRoleAdminService, service: AppRoleService) -> None:
    create(admin, "faculty_users", jwt_role_mappings=["Faculty"], granted_models=["m1"])
    assert service.can_access_model(FACULTY, "m1")
    admin.update_role("faculty_users", AppRoleUpdate(granted_models=["m2"]))
    assert not service.can_access_model(FACULTY, "m1")
    assert service.can_access_model(FACULTY, "m2")
    admin.delete_role("faculty_users")
    assert not service.can_access_model(FACULTY, "m2")


def test_tools_can_be_added_and_removed(admin: AppRoleAdminService) -> None:
    create(admin, "faculty_users")
    assert admin.add_tool_to_role("faculty_users", "search").granted_tools == ["search"]
    assert admin.add_tool_to_role("faculty_users", "search").granted_tools == ["search"]
    assert admin.roles_granting_tool("search") == ["faculty_users"]
    assert admin.remove_tool_from_role("faculty_users", "search").granted_tools == []
    assert admin.remove_tool_from_role("faculty_users", "search").granted_tools == []


def test_sync_recomputes_stale_effective_permissions(repository: AppRoleRepository, admin: AppRoleAdminService) -> None:
    created = create(admin, "faculty_users", granted_tools=["search"])
    stale = created.model_copy(
        update={"effective_permissions": created.effective_permissions.model_copy(update={"tools": []})}
    )
    repository.update(created, stale.model_copy(update={"updated_at": "2030-01-01T00:00:00Z"}))
    assert admin.sync_effective_permissions("faculty_users").effective_permissions.tools == ["search"]
    again = admin.sync_effective_permissions("faculty_users")
    assert again.effective_permissions.tools == ["search"]
