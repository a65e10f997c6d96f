"""Request-scoped context for logs, and the log format of the services."""

from apis.shared.observability.context import bind_request_id, get_request_id, reset_request_id
from apis.shared.observability.logging import JsonLogFormatter, RequestIdLogFilter, configure_logging

__all__ = [
    "JsonLogFormatter",
    "RequestIdLogFilter",
    "bind_request_id",
    "configure_logging",
    "get_request_id",
    "reset_request_id",
]
