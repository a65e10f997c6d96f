"""The app-roles table: ``PK = ROLE#<id>``; ``SK = DEFINITION`` holds the role, mapping items index it."""

from __future__ import annotations

from apis.shared.aws import GlobalIndex, TableDefinition

__all__ = ["APP_ROLES_TABLE", "JWT_ROLE_INDEX", "MODEL_ROLE_INDEX", "TOOL_ROLE_INDEX"]

JWT_ROLE_INDEX = "JwtRoleMappingIndex"
TOOL_ROLE_INDEX = "ToolRoleMappingIndex"
MODEL_ROLE_INDEX = "ModelRoleMappingIndex"

APP_ROLES_TABLE = TableDefinition(
    indexes=(
        GlobalIndex(JWT_ROLE_INDEX, "GSI1PK", "GSI1SK"),
        GlobalIndex(TOOL_ROLE_INDEX, "GSI2PK", "GSI2SK"),
        GlobalIndex(MODEL_ROLE_INDEX, "GSI3PK", "GSI3SK"),
    )
)
