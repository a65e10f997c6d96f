"""The models a user may chat with."""

from apis.app_api.catalog.routes import router

__all__ = ["router"]
