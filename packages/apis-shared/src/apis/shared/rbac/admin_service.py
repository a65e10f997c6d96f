"""Administer AppRoles: create, change, delete, and keep effective permissions right."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apis.shared.errors import BadRequestError, ConflictError, InputValidationError
from apis.shared.rbac.models import AppRole, AppRoleCreate, AppRoleUpdate
from apis.shared.rbac.permissions import effective_permissions
from apis.shared.rbac.seeder import SYSTEM_ADMIN_ROLE_ID
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from apis.shared.rbac.cache import AppRoleCache
    from apis.shared.rbac.repository import AppRoleRepository

__all__ = ["AppRoleAdminService"]

_SYSTEM_ADMIN_MUTABLE = frozenset({"display_name", "description"})


class AppRoleAdminService:
    """Every change recomputes the effective permissions it affects and clears the caches.

    With a stamped ``AppRoleCache``, clearing them reaches every process (see ``AppRoleCache``).
    """

    def __init__(self, repository: AppRoleRepository, cache: AppRoleCache) -> None:
        self._repository = repository
        self._cache = cache

    def list_roles(self, *, enabled_only: bool = False) -> list[AppRole]:
        return self._repository.list_roles(enabled_only=enabled_only)

    def get_role(self, role_id: str) -> AppRole:
        return self._repository.get_or_raise(role_id)

    def create_role(self, data: AppRoleCreate, *, created_by: str) -> AppRole:
        roles = {role.role_id: role for role in self._repository.list_roles()}
        if data.role_id in roles:
            raise ConflictError(f"Role {data.role_id} already exists", field="roleId")
        now = utc_timestamp(timespec="auto")
        role = AppRole(**data.model_dump(by_alias=False), created_at=now, updated_at=now, created_by=created_by)
        role = role.model_copy(update={"effective_permissions": effective_permissions(role, roles)})
        created = self._repository.create(role)
        self._cache.invalidate_role(role.role_id)
        return created

    def update_role(self, role_id: str, data: AppRoleUpdate) -> AppRole:
        current = self._repository.get_or_raise(role_id)
        changes = data.model_dump(exclude_unset=True, by_alias=False)
        if role_id == SYSTEM_ADMIN_ROLE_ID and set(changes) - _SYSTEM_ADMIN_MUTABLE:
            raise InputValidationError("Only displayName and description of the system_admin role can change")
        roles = {role.role_id: role for role in self._repository.list_roles()}
        updated = current.model_copy(update={**changes, "updated_at": utc_timestamp(timespec="auto")})
        roles[role_id] = updated
        updated = updated.model_copy(update={"effective_permissions": effective_permissions(updated, roles)})
        stored = self._repository.update(current, updated)
        roles[role_id] = stored
        refreshed: list[str] = []
        try:
            self._refresh_dependents(role_id, roles, refreshed)
        finally:
            # Also when a dependent's update failed: the role itself and those done have changed.
            self._cache.invalidate_roles([role_id, *refreshed])
        return stored

    def delete_role(self, role_id: str) -> None:
        role = self._repository.get_or_raise(role_id)
        if role.is_system_role:
            raise BadRequestError(f"System role {role_id} cannot be deleted")
        dependents = [other.role_id for other in self._repository.list_roles() if role_id in other.inherits_from]
        if dependents:
            raise ConflictError(f"Role {role_id} is inherited by {', '.join(sorted(dependents))}; change those first")
        self._repository.delete(role)
        self._cache.invalidate_role(role_id)

    def sync_effective_permissions(self, role_id: str) -> AppRole:
        """Recompute a role's effective permissions from its grants and its ancestors'."""
        current = self._repository.get_or_raise(role_id)
        roles = {role.role_id: role for role in self._repository.list_roles()}
        recomputed = effective_permissions(current, roles)
        if recomputed == current.effective_permissions:
            return current
        updated = current.model_copy(
            update={"effective_permissions": recomputed, "updated_at": utc_timestamp(timespec="auto")}
        )
        stored = self._repository.update(current, updated)
        self._cache.invalidate_role(role_id)
        return stored

    def roles_granting_tool(self, tool_id: str) -> list[str]:
        return self._repository.role_ids_for_tool(tool_id)

    def add_tool_to_role(self, role_id: str, tool_id: str) -> AppRole:
        role = self._repository.get_or_raise(role_id)
        if tool_id in role.granted_tools:
            return role
        return self.update_role(role_id, AppRoleUpdate(granted_tools=[*role.granted_tools, tool_id]))

    def remove_tool_from_role(self, role_id: str, tool_id: str) -> AppRole:
        role = self._repository.get_or_raise(role_id)
        if tool_id not in role.granted_tools:
            return role
        return self.update_role(role_id, AppRoleUpdate(granted_tools=[t for t in role.granted_tools if t != tool_id]))

    def _refresh_dependents(self, changed: str, roles: dict[str, AppRole], refreshed: list[str]) -> None:
        """Recompute every role that inherits, directly or not, from ``changed``; add those updated to ``refreshed``."""
        pending = [role_id for role_id, role in roles.items() if changed in role.inherits_from]
        visited: set[str] = set()
        while pending:
            role_id = pending.pop(0)
            if role_id in visited:
                continue
            visited.add(role_id)
            current = roles[role_id]
            recomputed = effective_permissions(current, roles)
            if recomputed != current.effective_permissions:
                updated = current.model_copy(
                    update={"effective_permissions": recomputed, "updated_at": utc_timestamp(timespec="auto")}
                )
                roles[role_id] = self._repository.update(current, updated)
                refreshed.append(role_id)
            pending += [other for other, role in roles.items() if role_id in role.inherits_from]
