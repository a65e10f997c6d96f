"""Cross-origin access for the web client: a checked policy and its one installation point.

``CorsPolicy`` is checked when it is built, so a service with an unsafe or
mistyped policy does not start. ``install_cors(app, policy)`` puts Starlette's
``CORSMiddleware`` where every response passes through it:

    RequestIdMiddleware  ->  CORS  ->  UnhandledErrorMiddleware  ->  ...  ->  routes

Starlette runs an ``Exception`` (or 500) handler in ``ServerErrorMiddleware``,
outside every user middleware, so a 500 produced there would leave without
CORS headers and the browser would show "CORS error" instead of the envelope.
This platform answers unexpected errors in ``UnhandledErrorMiddleware`` (see
``install_error_handlers``), a user middleware: sitting just outside it, CORS
decorates the 500 envelope as it decorates the 4xx envelopes, the JSON bodies
and streamed (SSE) responses. Inside the request-id middleware, a preflight
answer also carries ``X-Request-ID``, and a refused preflight is the error
envelope with its request id.

An empty origin list installs nothing: no response carries CORS headers and a
preflight reaches the router, which refuses it (405, or 404 for an unknown path).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import BaseModel, Field
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response

from apis.shared.errors.codes import http_status_to_error_code
from apis.shared.errors.responses import ErrorDetail
from apis.shared.http.error_handlers import UnhandledErrorMiddleware
from apis.shared.observability.context import get_request_id

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.datastructures import Headers

__all__ = ["LOCAL_WEB_CLIENT_ORIGINS", "CorsConfigurationError", "CorsPolicy", "CorsSettings", "install_cors"]

# Where the web client's development build is served from.
LOCAL_WEB_CLIENT_ORIGINS = ("http://localhost:4200", "http://127.0.0.1:4200")

_WILDCARD = "*"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# RFC 9110 token: what a header name may be made of.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Browsers cache a preflight for at most this long (Firefox 24 h; Chromium caps at 2 h).
_MAX_AGE_LIMIT = 86_400


class CorsConfigurationError(ValueError):
    """The CORS policy is unsafe or malformed; the service must not start with it."""


def _origin_problem(origin: str) -> str | None:
    """Why ``origin`` can never equal a browser's ``Origin`` header, or None when it can."""
    if origin == _WILDCARD:
        return None
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError as error:
        # JUSTIFICATION: the parse error is this function's answer; the caller refuses the policy with it.
        return str(error)
    default_port = _DEFAULT_PORTS.get(parts.scheme)
    checks = (
        (default_port is None, "the scheme must be http or https"),
        (not parts.hostname or parts.username is not None, "it needs a host and nothing before it"),
        (
            bool(parts.path or parts.query or parts.fragment) or origin.endswith(("?", "#")),
            "an origin is scheme://host[:port], without a path (not even '/'), query or fragment",
        ),
        (origin != origin.lower(), "browsers send origins in lower case and they are compared exactly"),
        (port is not None and port == default_port, f"browsers leave out the default port {port}"),
    )
    return next((reason for failed, reason in checks if failed), None)


@dataclass(frozen=True)
class CorsPolicy:
    """Which browser origins may call a service, and what they may send and read.

    ``allow_origins`` are exact origins (``https://chat.example.edu``,
    ``http://localhost:4200``), or ``"*"`` alone for any origin without
    credentials. Origins are compared exactly, so a malformed one (a path, a
    trailing slash, upper case, a default port) is refused here rather than
    silently never matching. ``allow_credentials`` (cookies) cannot go with
    ``"*"``: a browser refuses that combination, and it would let any site act
    with a user's cookies.
    """

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE")
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age: int = 600

    def __post_init__(self) -> None:
        for name in ("allow_origins", "allow_methods", "allow_headers", "expose_headers"):
            if not isinstance(getattr(self, name), tuple):
                raise CorsConfigurationError(f"{name} must be a tuple of strings")
        self._check_origins()
        for method in self.allow_methods:
            if method != _WILDCARD and method not in _METHODS:
                raise CorsConfigurationError(
                    f"invalid CORS method {method!r}: one of {', '.join(sorted(_METHODS))} (upper case) or '*'"
                )
        for header in (*self.allow_headers, *self.expose_headers):
            if not _HEADER_NAME.match(header):
                raise CorsConfigurationError(f"invalid header name {header!r}")
        if not 0 <= self.max_age <= _MAX_AGE_LIMIT:
            raise CorsConfigurationError(f"max_age must be between 0 and {_MAX_AGE_LIMIT} seconds")

    def _check_origins(self) -> None:
        if _WILDCARD in self.allow_origins:
            if self.allow_credentials:
                raise CorsConfigurationError(
                    "allow_origins '*' cannot be combined with allow_credentials: list the exact origins"
                )
            if len(self.allow_origins) > 1:
                raise CorsConfigurationError("allow_origins '*' already allows every origin; list it alone")
        for origin in self.allow_origins:
            problem = _origin_problem(origin)
            if problem is not None:
                raise CorsConfigurationError(f"invalid CORS origin {origin!r}: {problem}")

    @property
    def enabled(self) -> bool:
        """Whether any origin may call the service from a browser."""
        return bool(self.allow_origins)


class CorsSettings(BaseModel):
    """The CORS fields of a service's settings (mix into its ``BaseSettings``, which reads them from the environment).

    ``cors_allow_origins`` is a JSON list in the environment; ``None`` means the
    web client's local origins in development and no origin elsewhere, so a
    deployment allows nothing until it is configured. The client sends bearer
    headers, not cookies: credentials stay off. The request headers are what the
    client and its SSE library (``@microsoft/fetch-event-source``) send; the
    exposed ones are what it reads.
    """

    cors_allow_origins: list[str] | None = None
    cors_allow_methods: list[str] = Field(default_factory=lambda: ["GET", "POST", "PUT", "PATCH", "DELETE"])
    cors_allow_headers: list[str] = Field(
        default_factory=lambda: ["Authorization", "Content-Type", "Accept", "X-Request-ID", "Last-Event-ID",
                                 "Cache-Control"]
    )  # fmt: skip
    cors_expose_headers: list[str] = Field(
        default_factory=lambda: ["X-Request-ID", "X-Session-ID", "Content-Disposition"]
    )
    cors_allow_credentials: bool = False
    cors_max_age: int = Field(default=600, ge=0, le=_MAX_AGE_LIMIT)

    def cors_policy_for(self, *, development: bool) -> CorsPolicy:
        """The checked policy of these settings; raises ``CorsConfigurationError`` when it is unsafe."""
        origins = self.cors_allow_origins
        if origins is None:
            origins = list(LOCAL_WEB_CLIENT_ORIGINS) if development else []
        return CorsPolicy(
            allow_origins=tuple(origins),
            allow_methods=tuple(self.cors_allow_methods),
            allow_headers=tuple(self.cors_allow_headers),
            expose_headers=tuple(self.cors_expose_headers),
            allow_credentials=self.cors_allow_credentials,
            max_age=self.cors_max_age,
        )


class _EnvelopeCORSMiddleware(CORSMiddleware):
    """Starlette's CORS middleware, with a refused preflight answered in the error envelope."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < HTTPStatus.BAD_REQUEST:
            return response
        # Starlette's text names what was refused, e.g. "Disallowed CORS origin, headers".
        reason = bytes(response.body).decode()
        detail = ErrorDetail(
            code=http_status_to_error_code(response.status_code), message=reason, request_id=get_request_id()
        )
        headers = {
            key: value
            for key, value in response.headers.items()
            if key.lower() not in ("content-length", "content-type")
        }
        return JSONResponse(detail.to_body(), status_code=response.status_code, headers=headers)


def _is_unhandled_error_middleware(entry: Middleware) -> bool:
    factory: object = entry.cls
    return factory is UnhandledErrorMiddleware


def install_cors(app: Starlette, policy: CorsPolicy) -> None:
    """Answer the browser's preflights and add CORS headers to every response of ``app``.

    Call after ``install_error_handlers(app)`` and before the app serves. An
    empty origin list installs nothing.
    """
    if not policy.enabled:
        return
    if app.middleware_stack is not None:
        raise RuntimeError("install_cors must be called before the app starts serving")
    if any(key in (Exception, 500) for key in app.exception_handlers):
        raise RuntimeError(
            "an Exception/500 handler runs outside every middleware, so its responses would lack CORS "
            "headers; unexpected errors are answered by install_error_handlers' UnhandledErrorMiddleware"
        )
    positions = [i for i, entry in enumerate(app.user_middleware) if _is_unhandled_error_middleware(entry)]
    if not positions:
        raise RuntimeError(
            "call install_error_handlers(app) before install_cors(app, policy): CORS must wrap the "
            "handler that answers unexpected errors, or 500s reach the browser without CORS headers"
        )
    middleware = Middleware(
        _EnvelopeCORSMiddleware,
        allow_origins=policy.allow_origins,
        allow_methods=policy.allow_methods,
        allow_headers=policy.allow_headers,
        expose_headers=policy.expose_headers,
        allow_credentials=policy.allow_credentials,
        max_age=policy.max_age,
    )
    # user_middleware runs outermost first: just before UnhandledErrorMiddleware is just outside it.
    app.user_middleware.insert(positions[0], middleware)
