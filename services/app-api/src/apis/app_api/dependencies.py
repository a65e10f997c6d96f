"""Annotated dependencies for the routes (the container is on ``app.state``)."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import Depends, Path, Request

from apis.app_api.container import AppApiContainer
from apis.shared.auth import User
from apis.shared.auth.dependencies import CurrentUser
from apis.shared.auth.exceptions import RoleRequiredError
from apis.shared.errors import InternalError
from apis.shared.ids import SAFE_ID_MAX_LENGTH, SAFE_ID_PATTERN
from apis.shared.rbac import is_system_admin
from apis.shared.rbac.dependencies import require_system_admin

__all__ = [
    "AdminUser",
    "ContainerDep",
    "CurrentUser",
    "PathId",
    "SystemAdminUser",
    "get_container",
    "require_admin",
]

# Ids in paths go into keys (a `#` would reach into another item's partition), S3 object keys and headers.
PathId = Annotated[str, Path(pattern=SAFE_ID_PATTERN, max_length=SAFE_ID_MAX_LENGTH)]


def get_container(request: Request) -> AppApiContainer:
    container = getattr(request.app.state, "container", None)
    if not isinstance(container, AppApiContainer):
        raise InternalError("The service is not initialised")
    return container


ContainerDep = Annotated[AppApiContainer, Depends(get_container)]


def require_admin(user: CurrentUser, container: ContainerDep) -> User:
    """Pass administrators: one of the configured admin JWT roles, or a system administrator."""
    settings = container.settings
    if set(user.roles) & set(settings.admin_roles) or is_system_admin(user, settings.admin_jwt_roles):
        return user
    raise RoleRequiredError("Administrator access required")


AdminUser = Annotated[User, Depends(require_admin)]
SystemAdminUser = Annotated[User, Depends(require_system_admin)]
