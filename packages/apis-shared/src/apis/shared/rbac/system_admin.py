"""System administrators: decided by JWT roles alone, so a broken AppRole setup cannot lock admins out."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from apis.shared.auth.models import User

__all__ = ["DEFAULT_ADMIN_JWT_ROLES", "is_system_admin"]

DEFAULT_ADMIN_JWT_ROLES = ("DotNetDevelopers",)


def is_system_admin(user: User, admin_jwt_roles: Iterable[str]) -> bool:
    return bool(set(user.roles) & set(admin_jwt_roles))
