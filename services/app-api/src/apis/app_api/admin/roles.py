"""``/admin/roles/``: AppRoles. Administrators read; only system administrators change roles or caches.

The client calls the list and create routes with a trailing slash.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Response, status

from apis.app_api.dependencies import AdminUser, AppRoleAdminDep, AppRoleCacheDep, SystemAdminUser
from apis.shared.rbac import AppRole, AppRoleCacheStats, AppRoleCreate, AppRoleList, AppRoleUpdate

__all__ = ["router"]

router = APIRouter(prefix="/roles", tags=["admin: roles"])


def _camel_stats(stats: AppRoleCacheStats) -> dict[str, Any]:
    data = asdict(stats)
    return {
        layer: {"size": s["size"], "hits": s["hits"], "misses": s["misses"], "ttlSeconds": s["ttl_seconds"]}
        for layer, s in data.items()
    }


@router.get("/", response_model=AppRoleList)
def list_roles(admin: AdminUser, app_role_admin: AppRoleAdminDep, enabled_only: bool = False) -> AppRoleList:
    roles = app_role_admin.list_roles(enabled_only=enabled_only)
    return AppRoleList(roles=roles, total=len(roles))


@router.post("/", response_model=AppRole, status_code=status.HTTP_201_CREATED)
def create_role(body: AppRoleCreate, admin: SystemAdminUser, app_role_admin: AppRoleAdminDep) -> AppRole:
    return app_role_admin.create_role(body, created_by=admin.email or admin.user_id)


@router.get("/cache/stats")
def cache_stats(admin: SystemAdminUser, app_role_cache: AppRoleCacheDep) -> dict[str, Any]:
    """Sizes and hit counts of the role caches of this process."""
    return _camel_stats(app_role_cache.stats())


@router.post("/cache/invalidate")
def invalidate_cache(admin: SystemAdminUser, app_role_cache: AppRoleCacheDep) -> dict[str, Any]:
    """Empty the role caches, this process's at once and every other replica's through the version stamp.

    Returns this process's (now empty) statistics.
    """
    app_role_cache.invalidate_all()
    return _camel_stats(app_role_cache.stats())


@router.get("/{role_id}", response_model=AppRole)
def get_role(role_id: str, admin: AdminUser, app_role_admin: AppRoleAdminDep) -> AppRole:
    return app_role_admin.get_role(role_id)


@router.patch("/{role_id}", response_model=AppRole)
def update_role(role_id: str, body: AppRoleUpdate, admin: SystemAdminUser, app_role_admin: AppRoleAdminDep) -> AppRole:
    return app_role_admin.update_role(role_id, body)


@router.delete("/{role_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_role(role_id: str, admin: SystemAdminUser, app_role_admin: AppRoleAdminDep) -> Response:
    """System roles cannot be deleted."""
    app_role_admin.delete_role(role_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{role_id}/sync", response_model=AppRole)
def sync_role(role_id: str, admin: SystemAdminUser, app_role_admin: AppRoleAdminDep) -> AppRole:
    """Recompute the role's effective permissions from its grants and inheritance."""
    return app_role_admin.sync_effective_permissions(role_id)
