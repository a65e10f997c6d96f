"""Give every HTTP request an id: in the response header, the error body and each log line."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from starlette.datastructures import MutableHeaders

from apis.shared.observability.context import bind_request_id, reset_request_id

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["REQUEST_ID_HEADER", "RequestIdMiddleware"]

REQUEST_ID_HEADER = "X-Request-ID"

# An id from upstream (a load balancer, a calling service) is kept only if it
# is short and plain, so it cannot smuggle anything into headers or logs.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Pure ASGI middleware: bind the request id for the request's lifetime and echo it back.

    A pure ASGI middleware (not ``BaseHTTPMiddleware``) so streamed responses
    pass through untouched and the id stays bound while they stream.
    """

    def __init__(self, app: ASGIApp, *, header_name: str = REQUEST_ID_HEADER) -> None:
        self.app = app
        self.header_name = header_name
        self._header_key = header_name.lower().encode("latin-1")

    def _incoming_id(self, scope: Scope) -> str | None:
        for key, value in scope.get("headers", ()):
            if key == self._header_key:
                candidate = value.decode("latin-1")
                return candidate if _ACCEPTABLE_ID.match(candidate) else None
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._incoming_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[self.header_name] = request_id
            await send(message)

        token = bind_request_id(request_id)
        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            reset_request_id(token)
