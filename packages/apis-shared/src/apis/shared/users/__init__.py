"""User profiles: models, the DynamoDB repository and the login-time sync."""

from apis.shared.users.models import UserListItem, UserProfile, UsersPage, UserStatus
from apis.shared.users.repository import UserNotFoundError, UserRepository
from apis.shared.users.sync import UserSyncService
from apis.shared.users.table import USERS_TABLE

__all__ = [
    "USERS_TABLE",
    "UserListItem",
    "UserNotFoundError",
    "UserProfile",
    "UserRepository",
    "UserStatus",
    "UserSyncService",
    "UsersPage",
]
