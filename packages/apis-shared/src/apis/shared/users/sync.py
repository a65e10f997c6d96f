"""Keep the users table in step with the identity provider: one upsert per login."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apis.shared.users.models import UserProfile
from apis.shared.users.repository import new_profile_timestamp

if TYPE_CHECKING:
    from apis.shared.auth.models import User
    from apis.shared.users.repository import UserRepository

__all__ = ["UserSyncService"]


class UserSyncService:
    """Upserts a profile from an authenticated user. Storage errors propagate to the caller.

    The one place allowed to swallow them is the fire-and-forget hook at the
    request boundary (``Authenticator(on_authenticated=service.sync_from_user)``),
    which logs them.
    """

    def __init__(self, repository: UserRepository) -> None:
        self._repository = repository

    def sync_from_user(self, user: User) -> tuple[UserProfile, bool]:
        """Create or refresh ``user``'s profile; return it and whether it was new."""
        now = new_profile_timestamp()
        profile = UserProfile(
            user_id=user.user_id,
            email=user.email,
            name=user.name,
            roles=list(user.roles),
            picture=user.picture,
            email_domain=user.email_domain,
            created_at=now,
            last_login_at=now,
        )
        return self._repository.upsert(profile)
