"""The assistants table: ``PK = AST#<id>`` holds the assistant (``SK = METADATA``), its shares
(``SK = SHARE#<email>``) and its documents (``SK = DOC#<documentId>``)."""

from __future__ import annotations

from apis.shared.aws import GlobalIndex, TableDefinition

__all__ = ["ASSISTANTS_TABLE", "OWNER_STATUS_INDEX", "SHARED_WITH_INDEX", "VISIBILITY_STATUS_INDEX"]

OWNER_STATUS_INDEX = "OwnerStatusIndex"
VISIBILITY_STATUS_INDEX = "VisibilityStatusIndex"
SHARED_WITH_INDEX = "SharedWithIndex"

ASSISTANTS_TABLE = TableDefinition(
    indexes=(
        GlobalIndex(OWNER_STATUS_INDEX, "GSI_PK", "GSI_SK"),
        GlobalIndex(VISIBILITY_STATUS_INDEX, "GSI2_PK", "GSI2_SK"),
        GlobalIndex(SHARED_WITH_INDEX, "GSI3_PK", "GSI3_SK"),
    )
)
