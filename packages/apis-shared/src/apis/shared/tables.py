"""DynamoDB tables that more than one domain writes to, defined once where both can reach them.

The sessions-metadata table holds the sessions and their messages (``apis.shared.sessions``) and,
in the same partitions, the per-message cost records (``apis.shared.quota``). Neither domain
imports the other for it.
"""

from __future__ import annotations

from apis.shared.aws import GlobalIndex, TableDefinition

__all__ = ["SESSIONS_METADATA_TABLE", "USER_TIMESTAMP_INDEX"]

USER_TIMESTAMP_INDEX = "UserTimestampIndex"
SESSION_LOOKUP_INDEX = "SessionLookupIndex"

SESSIONS_METADATA_TABLE = TableDefinition(
    indexes=(
        GlobalIndex(USER_TIMESTAMP_INDEX, "GSI1PK", "GSI1SK"),
        GlobalIndex(SESSION_LOOKUP_INDEX, "GSI_PK", "GSI_SK"),
    ),
    ttl_attribute="ttl",
)
