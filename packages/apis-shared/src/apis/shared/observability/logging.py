"""Log records that carry the request id, and the JSON format services log in.

The library itself only logs (``logging.getLogger(__name__)``); a service
calls ``configure_logging`` once at startup.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from apis.shared.observability.context import get_request_id

__all__ = ["JsonLogFormatter", "RequestIdLogFilter", "configure_logging"]

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

# At DEBUG these print whole requests and responses: DynamoDB items (login states
# with their PKCE verifiers), SigV4 signatures, token endpoint bodies. They never
# log below INFO, whatever level the service runs at.
_WIRE_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3", "httpcore", "httpcore2", "httpx", "httpx2")

# Attributes every LogRecord has; anything else was passed through `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id", "service"}


class RequestIdLogFilter(logging.Filter):
    """Stamp each record with the current request id (``-`` outside a request) and the service name."""

    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self._service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = get_request_id() or "-"
        if self._service is not None:
            record.service = self._service
        return True


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or get_request_id() or "-",
        }
        service = getattr(record, "service", None)
        if service is not None:
            entry["service"] = service
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


def configure_logging(
    *, service: str, level: str = "INFO", json_format: bool = True, stream: TextIO | None = None
) -> logging.Handler:
    """Send every log record of the process to one stream handler, stamped with the request id.

    Replaces the root logger's handlers and lets uvicorn's loggers propagate to
    it, so server and application lines share one format. Returns the handler.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdLogFilter(service))
    handler.setFormatter(JsonLogFormatter() if json_format else logging.Formatter(_TEXT_FORMAT))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _WIRE_LOGGERS:
        wire_logger = logging.getLogger(name)
        wire_logger.setLevel(max(root.level, logging.INFO))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    return handler
