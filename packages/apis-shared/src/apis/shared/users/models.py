"""User profiles as stored in the users table and shown to admins."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from apis.shared.schema import CamelModel

__all__ = ["UserListItem", "UserProfile", "UserStatus", "UsersPage"]


class UserStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"


class UserProfile(CamelModel):
    """A user as the platform knows them (synced from the identity provider at login)."""

    user_id: str
    email: str
    name: str
    roles: list[str] = Field(default_factory=list)
    picture: str | None = None
    email_domain: str
    created_at: str
    last_login_at: str
    status: UserStatus = UserStatus.ACTIVE

    @field_validator("email", "email_domain")
    @classmethod
    def _lowercase(cls, value: str) -> str:
        return value.lower()


class UserListItem(CamelModel):
    """A row of the admin user list."""

    user_id: str
    email: str
    name: str
    status: UserStatus
    last_login_at: str
    email_domain: str | None = None

    @classmethod
    def from_profile(cls, profile: UserProfile) -> UserListItem:
        return cls(
            user_id=profile.user_id,
            email=profile.email,
            name=profile.name,
            status=profile.status,
            last_login_at=profile.last_login_at,
            email_domain=profile.email_domain,
        )


class UsersPage(CamelModel):
    """One page of users, newest login first; ``next_cursor`` is None on the last page."""

    users: list[UserProfile]
    next_cursor: str | None = None
