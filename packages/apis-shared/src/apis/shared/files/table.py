"""The user-files table: ``PK = USER#<id>``; ``SK = FILE#<uploadId>`` per file and ``SK = QUOTA`` per user."""

from __future__ import annotations

from apis.shared.aws import GlobalIndex, TableDefinition

__all__ = ["SESSION_INDEX", "USER_FILES_TABLE"]

SESSION_INDEX = "SessionIndex"
USER_FILES_TABLE = TableDefinition(indexes=(GlobalIndex(SESSION_INDEX, "GSI1PK", "GSI1SK"),), ttl_attribute="ttl")
