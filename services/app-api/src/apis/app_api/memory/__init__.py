"""Long-term memory (``/memory``): this platform has no memory store, and says so the way the client expects."""

from apis.app_api.memory.routes import router

__all__ = ["router"]
