"""Tools (``/tools``): this platform runs no tools yet, and says so the way the client expects."""

from apis.app_api.tools.routes import router

__all__ = ["router"]
