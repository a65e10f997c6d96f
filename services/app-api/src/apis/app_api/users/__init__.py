"""Finding other users (to share assistants with)."""

from apis.app_api.users.routes import router

__all__ = ["router"]
