"""The one place an app turns exceptions into HTTP error responses.

``install_error_handlers(app, expose_internal_errors=...)`` gives every error
response of the app one body, ``{"error": {...}}`` with the request id:

- ``ApisError`` and subclasses: their own status and code;
- ``HTTPException`` (including the router's 404 and 405): the status it carries;
- request validation: 422 ``validation_error`` with the failing fields;
- anything else: 500 ``internal_error``, logged with its traceback.

Internal text (a 5xx error's ``detail``, an unexpected exception's message,
the free text of an ``HTTPException`` with a 5xx status) is sent only when
``expose_internal_errors`` is true, which services set in development alone.
Every body of every kind is built by ``_error_response``, which passes it
through ``_for_client``: the one place that decides what of an error leaves
the process.
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
    from collections.abc import Callable

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["UnhandledErrorMiddleware", "install_error_handlers"]

logger = logging.getLogger(__name__)

_UNEXPECTED_MESSAGE = "An unexpected error occurred"
_MAX_VALIDATION_ERRORS_IN_MESSAGE = 3


def _for_client(
    status_code: int, detail: ErrorDetail, *, expose_internal_errors: bool, safe_message: str | None
) -> ErrorDetail:
    """What of an error a client may see: all of it in development; of a 5xx elsewhere, no internal text.

    A 5xx keeps its code, its request id and a message known to be safe
    (``safe_message`` replaces one that may carry internal text); its
    ``detail`` is dropped.
    """
    if expose_internal_errors or status_code < HTTPStatus.INTERNAL_SERVER_ERROR:
        return detail
    return detail.model_copy(update={"detail": None, "message": safe_message or detail.message})


def _error_response(
    status_code: int,
    detail: ErrorDetail,
    *,
    expose_internal_errors: bool,
    safe_message: str | None = None,
    headers: dict[str, str] | None = None,
    body: Callable[[ErrorDetail], dict[str, Any]] | None = None,
) -> Response:
    """The response of every error: ``detail`` as the client may see it, in the envelope or ``body``'s shape."""
    if status_code in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
        return Response(status_code=status_code, headers=headers)
    public = _for_client(status_code, detail, expose_internal_errors=expose_internal_errors, safe_message=safe_message)
    content = public.to_body() if body is None else body(public)
    return JSONResponse(status_code=status_code, content=content, headers=headers)


def _status_phrase(status_code: int) -> str:
    return HTTPStatus(status_code).phrase if status_code in HTTPStatus._value2member_map_ else "Error"


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


def _http_exception_detail(exc: StarletteHTTPException) -> tuple[ErrorDetail, str | None]:
    """The whole error an ``HTTPException`` describes, and the safe message of a 5xx whose message is free text."""
    raw: Any = exc.detail
    if isinstance(raw, dict) and isinstance(raw.get("error"), dict):
        # A body built with create_error_response (the seed's pattern): its message is the
        # client-facing one, its detail the internal text.
        return ErrorDetail.model_validate({**raw["error"], "requestId": get_request_id()}), None
    code = http_status_to_error_code(exc.status_code)
    phrase = _status_phrase(exc.status_code)
    if isinstance(raw, str) and raw:
        # HTTPException(500, detail=str(exc)) puts whatever the exception said here.
        return ErrorDetail(code=code, message=raw, request_id=get_request_id()), phrase
    return ErrorDetail(code=code, message=phrase, detail=raw, request_id=get_request_id()), None


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
        detail = error_detail_from_exception(exc, expose_internal_errors=True, request_id=get_request_id())
        return _error_response(
            exc.status_code,
            detail,
            expose_internal_errors=expose_internal_errors,
            headers=_headers_for(exc),
            body=exc.response_body,
        )

    async def handle_http_exception(request: Request, exc: Exception) -> Response:
        exc = cast("StarletteHTTPException", exc)
        detail, safe_message = _http_exception_detail(exc)
        if exc.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
            logger.error("%s %s failed: HTTP %d %s", request.method, request.url.path, exc.status_code, exc.detail)
        return _error_response(
            exc.status_code,
            detail,
            expose_internal_errors=expose_internal_errors,
            safe_message=safe_message,
            headers=dict(exc.headers) if exc.headers else None,
        )

    async def handle_validation_error(request: Request, exc: Exception) -> Response:
        exc = cast("RequestValidationError", exc)
        detail = _validation_detail(exc)
        logger.info("%s %s invalid request: %s", request.method, request.url.path, detail.message)
        return _error_response(HTTPStatus.UNPROCESSABLE_ENTITY, detail, expose_internal_errors=expose_internal_errors)

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
                detail=f"{type(exc).__name__}: {exc}",
                request_id=get_request_id(),
            )
            response = _error_response(
                HTTPStatus.INTERNAL_SERVER_ERROR, detail, expose_internal_errors=self.expose_internal_errors
            )
            await response(scope, receive, send)
