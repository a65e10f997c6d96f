"""FastAPI dependencies for AppRole checks and the system-admin gate.

``install_app_roles(app, service, admin_jwt_roles=...)`` once at startup; then
``Depends(require_system_admin)``, ``Depends(require_tool_access("web_search"))``.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from collections.abc import Iterable

from fastapi import Request

from apis.shared.auth.dependencies import CurrentUser
from apis.shared.auth.exceptions import RoleRequiredError
from apis.shared.auth.models import User
from apis.shared.errors import InternalError
from apis.shared.rbac.service import AppRoleService
from apis.shared.rbac.system_admin import DEFAULT_ADMIN_JWT_ROLES, is_system_admin

__all__ = [
    "get_app_role_service",
    "install_app_roles",
    "require_system_admin",
]

_SERVICE_KEY = "apis_app_role_service"
_ADMIN_ROLES_KEY = "apis_admin_jwt_roles"


def install_app_roles(
    app: object, service: AppRoleService, *, admin_jwt_roles: Iterable[str] = DEFAULT_ADMIN_JWT_ROLES
) -> None:
    state = getattr(app, "state", None)
    if state is None:
        raise TypeError("install_app_roles needs a Starlette/FastAPI application")
    setattr(state, _SERVICE_KEY, service)
    setattr(state, _ADMIN_ROLES_KEY, tuple(admin_jwt_roles))


def get_app_role_service(request: Request) -> AppRoleService:
    service = getattr(request.app.state, _SERVICE_KEY, None)
    if not isinstance(service, AppRoleService):
        raise InternalError("Role resolution is not configured", detail="install_app_roles was not called")
    return service


def require_system_admin(request: Request, user: CurrentUser) -> User:
    """Pass system administrators (by JWT role; AppRoles are deliberately not consulted)."""
    admin_roles = getattr(request.app.state, _ADMIN_ROLES_KEY, None)
    if admin_roles is None:
        raise InternalError("Role resolution is not configured", detail="install_app_roles was not called")
    if not is_system_admin(user, admin_roles):
        raise RoleRequiredError("System administrator access required")
    return user
