"""``/admin/users``: who uses the platform, what it costs them, where they stand on quota."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import APIRouter, Query

from apis.app_api.admin.models import AdminUserListResponse, UserDetailResponse
from apis.app_api.dependencies import AdminUser, UserAdminDep
from apis.shared.users import UserStatus

__all__ = ["router"]

router = APIRouter(prefix="/users", tags=["admin: users"])


@router.get("", response_model=AdminUserListResponse, response_model_exclude_none=True)
def list_users(
    admin: AdminUser,
    user_admin: UserAdminDep,
    status: UserStatus = UserStatus.ACTIVE,
    domain: Annotated[str | None, Query(min_length=1, max_length=253)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query()] = None,
) -> AdminUserListResponse:
    """Newest login first; ``nextCursor`` pages on. With ``domain``, the users of that email domain."""
    return user_admin.list_users(status=status, domain=domain, limit=limit, cursor=cursor)


@router.get("/search", response_model=AdminUserListResponse, response_model_exclude_none=True)
def search_users(
    admin: AdminUser, user_admin: UserAdminDep, email: Annotated[str, Query(min_length=3, max_length=320)]
) -> AdminUserListResponse:
    """The user with exactly this email (zero or one)."""
    return user_admin.search_by_email(email)


@router.get("/domains/list", response_model=list[str])
def list_domains(
    admin: AdminUser, user_admin: UserAdminDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[str]:
    return user_admin.domains(limit=limit)


@router.get("/{user_id}", response_model=UserDetailResponse, response_model_exclude_none=True)
def get_user(user_id: str, admin: AdminUser, user_admin: UserAdminDep) -> UserDetailResponse:
    """Profile, this month's costs, quota standing and recent quota events."""
    return user_admin.detail(user_id)
