"""FastAPI glue shared by both services (needs the ``fastapi`` extra)."""

from apis.shared.http.body_limit import RequestBodyLimitMiddleware, install_body_limit
from apis.shared.http.cors import (
    LOCAL_WEB_CLIENT_ORIGINS,
    CorsConfigurationError,
    CorsPolicy,
    CorsSettings,
    install_cors,
)
from apis.shared.http.error_handlers import UnhandledErrorMiddleware, install_error_handlers
from apis.shared.http.openapi import ErrorBody, document_error_responses
from apis.shared.http.request_id import REQUEST_ID_HEADER, RequestIdMiddleware

__all__ = [
    "LOCAL_WEB_CLIENT_ORIGINS",
    "REQUEST_ID_HEADER",
    "CorsConfigurationError",
    "CorsPolicy",
    "CorsSettings",
    "ErrorBody",
    "RequestBodyLimitMiddleware",
    "RequestIdMiddleware",
    "UnhandledErrorMiddleware",
    "document_error_responses",
    "install_body_limit",
    "install_cors",
    "install_error_handlers",
]
