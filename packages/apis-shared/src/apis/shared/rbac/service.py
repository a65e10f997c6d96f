"""Resolve what a user may use: JWT roles → AppRoles → tools, models and a quota tier."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apis.shared.rbac.models import AppRole, UserEffectivePermissions
from apis.shared.rbac.permissions import merge_grants
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from apis.shared.auth.models import User
    from apis.shared.rbac.cache import AppRoleCache
    from apis.shared.rbac.repository import AppRoleRepository

__all__ = ["DEFAULT_ROLE_ID", "AppRoleService"]

DEFAULT_ROLE_ID = "default"


class AppRoleService:
    """Permission resolution with caching. A storage failure propagates: no decision on partial data."""

    def __init__(self, repository: AppRoleRepository, cache: AppRoleCache) -> None:
        self._repository = repository
        self._cache = cache

    def resolve_user_permissions(self, user: User) -> UserEffectivePermissions:
        """Merge the permissions of every enabled AppRole the user's JWT roles map to (``default`` if none)."""
        key = (user.user_id, tuple(sorted(set(user.roles))))
        return self._cache.users.get_or_load(key, lambda: self._resolve(user))

    def _resolve(self, user: User) -> UserEffectivePermissions:
        role_ids: set[str] = set()
        for jwt_role in set(user.roles):
            role_ids |= set(self._mapped_role_ids(jwt_role))
        roles = [role for role in map(self._role, sorted(role_ids)) if role is not None and role.enabled]
        if not roles:
            default = self._role(DEFAULT_ROLE_ID)
            roles = [default] if default is not None and default.enabled else []
        roles.sort(key=lambda role: (-role.priority, role.role_id))
        return UserEffectivePermissions(
            user_id=user.user_id,
            app_roles=[role.role_id for role in roles],
            tools=merge_grants(role.effective_permissions.tools for role in roles),
            models=merge_grants(role.effective_permissions.models for role in roles),
            quota_tier=next(
                (role.effective_permissions.quota_tier for role in roles if role.effective_permissions.quota_tier), None
            ),
            resolved_at=utc_timestamp(timespec="auto"),
        )

    def _mapped_role_ids(self, jwt_role: str) -> tuple[str, ...]:
        return self._cache.mappings.get_or_load(
            jwt_role, lambda: tuple(self._repository.role_ids_for_jwt_role(jwt_role))
        )

    def _role(self, role_id: str) -> AppRole | None:
        # The epoch first: a role read while the cache is cleared (a change) is not stored.
        epoch = self._cache.roles.epoch()
        cached = self._cache.roles.get(role_id)
        if cached is not None:
            return cached
        role = self._repository.get(role_id)
        if role is not None:
            self._cache.roles.set(role_id, role, epoch=epoch)
        return role

    def can_access_tool(self, user: User, tool_id: str) -> bool:
        return self.resolve_user_permissions(user).allows_tool(tool_id)

    def can_access_model(self, user: User, model_id: str) -> bool:
        return self.resolve_user_permissions(user).allows_model(model_id)

    def accessible_tools(self, user: User) -> list[str]:
        return self.resolve_user_permissions(user).tools

    def accessible_models(self, user: User) -> list[str]:
        return self.resolve_user_permissions(user).models

    def user_quota_tier(self, user: User) -> str | None:
        return self.resolve_user_permissions(user).quota_tier
