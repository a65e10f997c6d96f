"""The platform's tools: there are none yet.

The chat page asks for the caller's tools once per load, and the role pages for
the catalogue; both answer truthfully (no tools) with a 200, so the panel shows
the client's own "No tools available" instead of an error toast. The inference
API runs every turn without tools, whatever ``enabled_tools`` says, so a
preference for any tool names a tool that does not exist.
"""

from __future__ import annotations

from apis.app_api.tools.models import CatalogResponse, ToolPreferencesResponse, UserToolsResponse
from apis.shared.errors import BadRequestError

__all__ = ["NoTools", "UnknownToolError"]


class UnknownToolError(BadRequestError):
    """A tool preference names a tool this platform does not have."""


class NoTools:
    """Tools as this platform has them: none to list, grant or switch on."""

    def user_tools(self) -> UserToolsResponse:
        return UserToolsResponse(tools=[])

    def catalog(self) -> CatalogResponse:
        return CatalogResponse(tools=[], total=0)

    def save_preferences(self, preferences: dict[str, bool]) -> ToolPreferencesResponse:
        """Nothing to save but an empty set: any tool id is unknown here."""
        if preferences:
            unknown = ", ".join(sorted(preferences))
            raise UnknownToolError(f"Unknown tool: {unknown}", detail="This platform has no tools", field="preferences")
        return ToolPreferencesResponse(preferences={})
