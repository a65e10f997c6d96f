"""Chat helpers of the app API: conversation titles."""

from apis.app_api.chat.routes import router
from apis.app_api.chat.titles import FALLBACK_TITLE, TitleService

__all__ = ["FALLBACK_TITLE", "TitleService", "router"]
