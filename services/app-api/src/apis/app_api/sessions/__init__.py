"""The caller's conversations: list, metadata, delete, messages."""

from apis.app_api.sessions.routes import router

__all__ = ["router"]
