"""``/tools``: the chat panel's and the role pages' calls (contract §16, §21), answered for a platform without tools."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import APIRouter, Depends

from apis.app_api.dependencies import CurrentUser
from apis.app_api.tools.models import (
    CatalogResponse,
    ToolPreferencesRequest,
    ToolPreferencesResponse,
    UserToolsResponse,
)
from apis.app_api.tools.service import NoTools

__all__ = ["get_tools", "router"]

router = APIRouter(prefix="/tools", tags=["tools"])

_NO_TOOLS = NoTools()


def get_tools() -> NoTools:
    return _NO_TOOLS


ToolsDep = Annotated[NoTools, Depends(get_tools)]


@router.get("/", response_model=UserToolsResponse)
def user_tools(user: CurrentUser, tools: ToolsDep) -> UserToolsResponse:
    """The caller's tools (the client calls it with the trailing slash, once per app load)."""
    return tools.user_tools()


@router.get("/catalog", response_model=CatalogResponse)
def tool_catalog(user: CurrentUser, tools: ToolsDep) -> CatalogResponse:
    """Every tool a role can be granted."""
    return tools.catalog()


@router.put("/preferences", response_model=ToolPreferencesResponse)
def save_tool_preferences(body: ToolPreferencesRequest, user: CurrentUser, tools: ToolsDep) -> ToolPreferencesResponse:
    """Switch tools on or off for the caller; a tool that does not exist is a 400."""
    return tools.save_preferences(body.preferences)
