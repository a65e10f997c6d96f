"""Gates on the identity provider's (JWT) roles. AppRole permissions live in ``apis.shared.rbac``."""

# No `from __future__ import annotations`: FastAPI reads the dependency
# annotations (CurrentUser) at runtime.
from collections.abc import Callable, Iterable

from apis.shared.auth.dependencies import CurrentUser
from apis.shared.auth.exceptions import RoleRequiredError
from apis.shared.auth.models import User

__all__ = ["has_any_role", "require_roles"]


def has_any_role(user: User, roles: Iterable[str]) -> bool:
    return bool(set(user.roles) & set(roles))


def require_roles(*roles: str) -> Callable[[User], User]:
    """A dependency that passes callers with at least one of ``roles``."""

    def dependency(user: CurrentUser) -> User:
        if not user.roles:
            raise RoleRequiredError("User has no assigned roles.")
        if not has_any_role(user, roles):
            raise RoleRequiredError(f"Access denied. Required roles: {', '.join(roles)}")
        return user

    return dependency
