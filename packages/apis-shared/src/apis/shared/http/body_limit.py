"""A bound on every request body: ``install_body_limit(app, max_bytes=...)``.

Bytes are counted as the server hands them to the app: a ``Content-Length``
over the limit is refused before anything is read, and a body sent without
one (chunked) as soon as it passes the limit, so no request makes a service
hold more than the limit of it. The refusal is the 413 error envelope with the
request id. The middleware sits just inside ``UnhandledErrorMiddleware``:

    RequestIdMiddleware  ->  CORS  ->  UnhandledErrorMiddleware  ->  body limit  ->  ...  ->  routes

so CORS, outside it, decorates the 413 as every other answer (the browser shows
the envelope, not a CORS error), and an app that fails on the cut-off body
never turns it into a 400 or a logged 500.

FastAPI and Starlette have body limits of their own in recent versions, but
theirs sit outside every user middleware (no CORS headers, no request id) and
answer in their own body, not the envelope.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import JSONResponse

from apis.shared.errors.codes import http_status_to_error_code
from apis.shared.errors.responses import ErrorDetail
from apis.shared.http.error_handlers import UnhandledErrorMiddleware
from apis.shared.observability.context import get_request_id

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestBodyLimitMiddleware", "body_too_large_response", "install_body_limit"]

_STATUS = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class _BodyTooLarge(HTTPException):
    """Raised into the app from ``receive``; an HTTPException, so FastAPI passes it on unchanged."""

    def __init__(self) -> None:
        super().__init__(status_code=_STATUS, detail="The request body is too large")


def body_too_large_response(max_bytes: int) -> JSONResponse:
    """The 413 envelope for a body over ``max_bytes`` (the connection is closed: the rest goes unread)."""
    detail = ErrorDetail(
        code=http_status_to_error_code(_STATUS),
        message="The request body is too large",
        detail=f"at most {max_bytes} bytes",
        request_id=get_request_id(),
    )
    return JSONResponse(detail.to_body(), status_code=_STATUS, headers={"Connection": "close"})


def _declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    if value is None or not value.isdigit():
        return None
    return int(value)


class RequestBodyLimitMiddleware:
    """Pure ASGI: refuse a request whose body is over ``max_bytes`` with the 413 envelope."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await body_too_large_response(self.max_bytes)(scope, receive, send)
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                # Whatever the app answers to a body it could not finish reading, the 413 goes instead.
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if started or not exceeded:
                raise
            # JUSTIFICATION: the app failed on a body cut off at the limit (the exception
            # raised into it, as it is or wrapped by a task group); the 413 below answers it.
        if exceeded and not started:
            await body_too_large_response(self.max_bytes)(scope, receive, send)


def _is_unhandled_error_middleware(entry: Middleware) -> bool:
    factory: object = entry.cls
    return factory is UnhandledErrorMiddleware


def install_body_limit(app: Starlette, *, max_bytes: int) -> None:
    """Refuse request bodies over ``max_bytes`` with the 413 envelope.

    Call after ``install_error_handlers(app)`` and before the app serves; with
    ``install_cors`` in either order.
    """
    if app.middleware_stack is not None:
        raise RuntimeError("install_body_limit must be called before the app starts serving")
    positions = [i for i, entry in enumerate(app.user_middleware) if _is_unhandled_error_middleware(entry)]
    if not positions:
        raise RuntimeError(
            "call install_error_handlers(app) before install_body_limit(app): the limit sits just inside "
            "the handler that answers unexpected errors, so that CORS, outside both, covers its 413"
        )
    # user_middleware runs outermost first: just after UnhandledErrorMiddleware is just inside it.
    app.user_middleware.insert(positions[0] + 1, Middleware(RequestBodyLimitMiddleware, max_bytes=max_bytes))
