"""The users table: ``PK = USER#<id>``, ``SK = PROFILE``, four ways in."""

from __future__ import annotations

from apis.shared.aws import GlobalIndex, TableDefinition

__all__ = ["EMAIL_DOMAIN_INDEX", "EMAIL_INDEX", "STATUS_LOGIN_INDEX", "USERS_TABLE", "USER_ID_INDEX"]

USER_ID_INDEX = "UserIdIndex"
EMAIL_INDEX = "EmailIndex"
EMAIL_DOMAIN_INDEX = "EmailDomainIndex"
STATUS_LOGIN_INDEX = "StatusLoginIndex"

USERS_TABLE = TableDefinition(
    indexes=(
        GlobalIndex(USER_ID_INDEX, "userId"),
        GlobalIndex(EMAIL_INDEX, "email"),
        GlobalIndex(EMAIL_DOMAIN_INDEX, "GSI2PK", "GSI2SK"),
        GlobalIndex(STATUS_LOGIN_INDEX, "GSI3PK", "GSI3SK"),
    )
)
