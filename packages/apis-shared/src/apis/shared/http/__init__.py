"""FastAPI glue shared by both services (needs the ``fastapi`` extra)."""

from apis.shared.http.error_handlers import UnhandledErrorMiddleware, install_error_handlers
from apis.shared.http.request_id import REQUEST_ID_HEADER, RequestIdMiddleware

__all__ = ["REQUEST_ID_HEADER", "RequestIdMiddleware", "UnhandledErrorMiddleware", "install_error_handlers"]
