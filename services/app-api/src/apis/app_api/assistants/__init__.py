"""Assistants: the owner's workspace (CRUD, shares, documents), test chat, and document ingestion."""

from apis.app_api.assistants.routes import router
from apis.app_api.assistants.test_chat import TestChatService

__all__ = ["TestChatService", "router"]
