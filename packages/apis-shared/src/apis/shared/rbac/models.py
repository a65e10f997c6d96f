"""AppRoles: the platform's own roles, mapped from identity-provider roles, granting tools, models and a quota tier."""

from __future__ import annotations

from pydantic import Field

from apis.shared.schema import CamelModel, PartialUpdate

__all__ = [
    "WILDCARD",
    "AppRole",
    "AppRoleCreate",
    "AppRoleList",
    "AppRoleUpdate",
    "EffectivePermissions",
    "UserEffectivePermissions",
]

WILDCARD = "*"
ROLE_ID_PATTERN = r"^[a-z][a-z0-9_]{2,49}$"


class EffectivePermissions(CamelModel):
    """What a role grants once inheritance is applied. ``"*"`` in a list grants everything."""

    tools: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    quota_tier: str | None = None


class AppRole(CamelModel):
    """A stored AppRole."""

    role_id: str = Field(pattern=ROLE_ID_PATTERN)
    display_name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    jwt_role_mappings: list[str] = Field(default_factory=list)
    inherits_from: list[str] = Field(default_factory=list)
    granted_tools: list[str] = Field(default_factory=list)
    granted_models: list[str] = Field(default_factory=list)
    # The role's own quota tier (the seeded `default` role has one); inherited
    # tiers show only in effective_permissions.
    quota_tier: str | None = None
    effective_permissions: EffectivePermissions = Field(default_factory=EffectivePermissions)
    priority: int = Field(default=0, ge=0, le=1000)
    is_system_role: bool = False
    enabled: bool = True
    created_at: str = ""
    updated_at: str = ""
    created_by: str | None = None


class AppRoleCreate(CamelModel):
    """``POST /admin/roles/`` body."""

    role_id: str = Field(pattern=ROLE_ID_PATTERN)
    display_name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    jwt_role_mappings: list[str] = Field(default_factory=list)
    inherits_from: list[str] = Field(default_factory=list)
    granted_tools: list[str] = Field(default_factory=list)
    granted_models: list[str] = Field(default_factory=list)
    quota_tier: str | None = None
    priority: int = Field(default=0, ge=0, le=999)
    enabled: bool = True


class AppRoleUpdate(PartialUpdate):
    """``PATCH /admin/roles/{roleId}`` body: only the fields sent change; null only removes the quota tier."""

    nullable = frozenset({"quota_tier"})

    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    jwt_role_mappings: list[str] | None = None
    inherits_from: list[str] | None = None
    granted_tools: list[str] | None = None
    granted_models: list[str] | None = None
    quota_tier: str | None = None
    priority: int | None = Field(default=None, ge=0, le=999)
    enabled: bool | None = None


class AppRoleList(CamelModel):
    roles: list[AppRole]
    total: int


class UserEffectivePermissions(CamelModel):
    """What one user may use, merged over all their AppRoles."""

    user_id: str
    app_roles: list[str]
    tools: list[str]
    models: list[str]
    quota_tier: str | None = None
    resolved_at: str

    def allows_tool(self, tool_id: str) -> bool:
        return WILDCARD in self.tools or tool_id in self.tools

    def allows_model(self, model_id: str) -> bool:
        return WILDCARD in self.models or model_id in self.models
