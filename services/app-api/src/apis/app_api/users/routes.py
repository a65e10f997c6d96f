"""``GET /users/search``: find active users by exact email, or by name or email fragment."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from apis.app_api.dependencies import CurrentUser, UsersDep
from apis.shared.users import UserStatus

__all__ = ["router"]

router = APIRouter(tags=["users"])

_SCAN_PAGES = 4


class UserSearchResult(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)

    user_id: str
    email: str
    name: str


class UserSearchResponse(BaseModel):
    users: list[UserSearchResult]


@router.get("/users/search", response_model=UserSearchResponse)
def search_users(
    user: CurrentUser,
    users: UsersDep,
    q: Annotated[str, Query(min_length=2, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> UserSearchResponse:
    """An exact email match first, then active users whose name or email contains ``q``."""
    needle = q.strip().lower()
    found: dict[str, UserSearchResult] = {}
    exact = users.get_by_email(needle) if "@" in needle else None
    if exact is not None:
        found[exact.user_id] = UserSearchResult(user_id=exact.user_id, email=exact.email, name=exact.name)
    cursor = None
    for _ in range(_SCAN_PAGES):
        page = users.list_by_status(UserStatus.ACTIVE, limit=100, cursor=cursor)
        for profile in page.users:
            if needle in profile.email.lower() or needle in profile.name.lower():
                found.setdefault(profile.user_id, UserSearchResult(user_id=profile.user_id, email=profile.email,
                                                                   name=profile.name))  # fmt: skip
        cursor = page.next_cursor
        if cursor is None or len(found) >= limit:
            break
    return UserSearchResponse(users=list(found.values())[:limit])
