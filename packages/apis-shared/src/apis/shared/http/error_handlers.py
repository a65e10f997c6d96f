"""The one place an app turns exceptions into HTTP error responses.

``install_error_handlers(app, expose_internal_errors=...)`` gives every error
response of the app one body, ``{"error": {...}}`` with the request id:

- ``ApisError`` and subclasses: their own status and code;
- ``HTTPException`` (including the router's 404 and 405): the status it carries;
- request validation: 422 ``validation_error`` with the failing fields;
- anything else: 500 ``internal_error``, logged with its traceback.

Internal text (a 5xx error's ``detail``, an unexpected exception's message)
is sent only when ``expose_internal_errors`` is true, which services set in
development alone.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from apis.shared.errors.codes import ErrorCode, http_status_to_error_code
from apis.shared.errors.exceptions import ApisError
from apis.shared.errors.responses import ErrorDetail, error_detail_from_exception
from apis.shared.http.request_id import REQUEST_ID_HEADER, RequestIdMiddleware
from apis.shared.observability.context import get_request_id

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["UnhandledErrorMiddleware", "install_error_handlers"]

logger = logging.getLogger(__name__)

_UNEXPECTED_MESSAGE = "An unexpected error occurred"
_MAX_VALIDATION_ERRORS_IN_MESSAGE = 3


def _error_response(
    status_code: int, detail: ErrorDetail, headers: dict[str, str] | None = None, body: dict[str, Any] | None = None
) -> Response:
    if status_code in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
        return Response(status_code=status_code, headers=headers)
    return JSONResponse(status_code=status_code, content=detail.to_body() if body is None else body, headers=headers)


def _headers_for(exc: ApisError) -> dict[str, str]:
    headers: dict[str, str] = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if exc.status_code == HTTPStatus.UNAUTHORIZED:
        headers["WWW-Authenticate"] = "Bearer"
    return headers


def _location(loc: tuple[int | str, ...] | list[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_detail(exc: RequestValidationError) -> ErrorDetail:
    # Only where and why: pydantic's `input` and `ctx` can echo what the client
    # sent (tokens included) and internal type names.
    problems = [
        {"loc": list(error.get("loc", ())), "type": error.get("type", "value_error"), "msg": error.get("msg", "")}
        for error in exc.errors()
    ]
    described = "; ".join(
        f"{_location(problem['loc'])}: {problem['msg']}" for problem in problems[:_MAX_VALIDATION_ERRORS_IN_MESSAGE]
    )
    if len(problems) > _MAX_VALIDATION_ERRORS_IN_MESSAGE:
        described += f" (and {len(problems) - _MAX_VALIDATION_ERRORS_IN_MESSAGE} more)"
    return ErrorDetail(
        code=ErrorCode.VALIDATION_ERROR,
        message=f"Invalid request: {described}" if described else "Invalid request",
        detail=problems,
        field=_location(problems[0]["loc"]) if problems else None,
        request_id=get_request_id(),
    )


def _http_exception_detail(exc: StarletteHTTPException, *, expose_internal_errors: bool) -> ErrorDetail:
    raw: Any = exc.detail
    if isinstance(raw, dict) and isinstance(raw.get("error"), dict):
        # A body built with create_error_response (the seed's pattern).
        return ErrorDetail.model_validate({**raw["error"], "requestId": get_request_id()})
    code = http_status_to_error_code(exc.status_code)
    phrase = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else "Error"
    if isinstance(raw, str) and raw:
        message, detail = raw, None
    else:
        message, detail = phrase, raw
    if exc.status_code >= 500 and not expose_internal_errors:
        detail = None
    return ErrorDetail(code=code, message=message, detail=detail, request_id=get_request_id())


def install_error_handlers(
    app: Starlette, *, expose_internal_errors: bool = False, request_id_header: str = REQUEST_ID_HEADER
) -> None:
    """Register the platform's error handlers and request-id middleware on ``app``.

    Call once, while building the app (before it starts serving).
    """

    async def handle_apis_error(request: Request, exc: Exception) -> Response:
        exc = cast("ApisError", exc)
        if exc.is_server_error:
            logger.error("%s %s failed: %r", request.method, request.url.path, exc, exc_info=exc)
        else:
            logger.info("%s %s rejected: %r", request.method, request.url.path, exc)
        detail = error_detail_from_exception(
            exc, expose_internal_errors=expose_internal_errors, request_id=get_request_id()
        )
        return _error_response(exc.status_code, detail, _headers_for(exc), exc.response_body(detail))

    async def handle_http_exception(request: Request, exc: Exception) -> Response:
        exc = cast("StarletteHTTPException", exc)
        detail = _http_exception_detail(exc, expose_internal_errors=expose_internal_errors)
        return _error_response(exc.status_code, detail, dict(exc.headers) if exc.headers else None)

    async def handle_validation_error(request: Request, exc: Exception) -> Response:
        exc = cast("RequestValidationError", exc)
        detail = _validation_detail(exc)
        logger.info("%s %s invalid request: %s", request.method, request.url.path, detail.message)
        return _error_response(HTTPStatus.UNPROCESSABLE_ENTITY, detail)

    app.add_exception_handler(ApisError, handle_apis_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    # Added last so it is outermost: the id is bound before anything else runs
    # and reaches even the last-resort 500 response.
    app.add_middleware(UnhandledErrorMiddleware, expose_internal_errors=expose_internal_errors)
    app.add_middleware(RequestIdMiddleware, header_name=request_id_header)


class UnhandledErrorMiddleware:
    """Answer an exception no handler knows with the 500 envelope, after logging its traceback."""

    def __init__(self, app: ASGIApp, *, expose_internal_errors: bool = False) -> None:
        self.app = app
        self.expose_internal_errors = expose_internal_errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if response_started:
                # Headers are gone; the server can only drop the connection.
                raise
            # JUSTIFICATION: this is the app's last-resort translation point, not a
            # suppression: the error is logged with its traceback and the client
            # gets the 500 envelope with the request id to quote.
            logger.exception("Unhandled error in %s %s", scope.get("method"), scope.get("path"))
            detail = ErrorDetail(
                code=ErrorCode.INTERNAL_ERROR,
                message=_UNEXPECTED_MESSAGE,
                detail=f"{type(exc).__name__}: {exc}" if self.expose_internal_errors else None,
                request_id=get_request_id(),
            )
            await _error_response(HTTPStatus.INTERNAL_SERVER_ERROR, detail)(scope, receive, send)
