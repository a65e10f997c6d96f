"""AppRoles: models, repository, caches, permission resolution, administration and the system-role seeder.

FastAPI dependencies are in ``apis.shared.rbac.dependencies``.
"""

from apis.shared.rbac.admin_service import AppRoleAdminService
from apis.shared.rbac.cache import AppRoleCache, AppRoleCacheStats
from apis.shared.rbac.models import (
    WILDCARD,
    AppRole,
    AppRoleCreate,
    AppRoleList,
    AppRoleUpdate,
    EffectivePermissions,
    UserEffectivePermissions,
)
from apis.shared.rbac.permissions import effective_permissions, merge_grants
from apis.shared.rbac.repository import (
    MAX_MAPPINGS,
    AppRoleChangedError,
    AppRoleExistsError,
    AppRoleNotFoundError,
    AppRoleRepository,
)
from apis.shared.rbac.seeder import (
    DEFAULT_QUOTA_TIER,
    DEFAULT_ROLE,
    SYSTEM_ADMIN_ROLE,
    SYSTEM_ADMIN_ROLE_ID,
    seed_system_roles,
)
from apis.shared.rbac.service import DEFAULT_ROLE_ID, AppRoleService
from apis.shared.rbac.system_admin import DEFAULT_ADMIN_JWT_ROLES, is_system_admin
from apis.shared.rbac.table import APP_ROLES_TABLE

__all__ = [
    "APP_ROLES_TABLE",
    "DEFAULT_ADMIN_JWT_ROLES",
    "DEFAULT_QUOTA_TIER",
    "DEFAULT_ROLE",
    "DEFAULT_ROLE_ID",
    "MAX_MAPPINGS",
    "SYSTEM_ADMIN_ROLE",
    "SYSTEM_ADMIN_ROLE_ID",
    "WILDCARD",
    "AppRole",
    "AppRoleAdminService",
    "AppRoleCache",
    "AppRoleCacheStats",
    "AppRoleChangedError",
    "AppRoleCreate",
    "AppRoleExistsError",
    "AppRoleList",
    "AppRoleNotFoundError",
    "AppRoleRepository",
    "AppRoleService",
    "AppRoleUpdate",
    "EffectivePermissions",
    "UserEffectivePermissions",
    "effective_permissions",
    "is_system_admin",
    "merge_grants",
    "seed_system_roles",
]
