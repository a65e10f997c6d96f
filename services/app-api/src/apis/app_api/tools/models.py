"""The shapes of the client's tool panel and tool catalogue (contract §16)."""

from __future__ import annotations

from pydantic import Field

from apis.shared.schema import CamelModel

__all__ = [
    "CatalogResponse",
    "CatalogTool",
    "ToolPreferencesRequest",
    "ToolPreferencesResponse",
    "UserTool",
    "UserToolsResponse",
]


class UserTool(CamelModel):
    tool_id: str
    display_name: str
    description: str
    is_enabled: bool


class UserToolsResponse(CamelModel):
    """``GET /tools/``: the tools the caller may switch on in the chat settings panel."""

    tools: list[UserTool]


class CatalogTool(CamelModel):
    tool_id: str
    name: str
    description: str


class CatalogResponse(CamelModel):
    """``GET /tools/catalog``: every tool a role can be granted."""

    tools: list[CatalogTool]
    total: int


class ToolPreferencesRequest(CamelModel):
    preferences: dict[str, bool] = Field(max_length=100)


class ToolPreferencesResponse(CamelModel):
    preferences: dict[str, bool]
