"""CORS through a real FastAPI app: the checked policy, preflights, and the headers on every kind of response."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.middleware.cors import CORSMiddleware

from apis.shared.errors import AuthenticationError, NotFoundError
from apis.shared.http import (
    LOCAL_WEB_CLIENT_ORIGINS,
    REQUEST_ID_HEADER,
    CorsConfigurationError,
    CorsPolicy,
    CorsSettings,
    install_cors,
    install_error_handlers,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from starlette.requests import Request

ORIGIN = "http://localhost:4200"
OTHER_ORIGIN = "https://evil.example"
POLICY = CorsPolicy(
    allow_origins=(ORIGIN, "https://chat.example.edu"),
    allow_methods=("GET", "POST", "PUT", "PATCH", "DELETE"),
    allow_headers=("Authorization", "Content-Type", "Accept", "X-Request-ID", "Last-Event-ID", "Cache-Control"),
    expose_headers=("X-Request-ID", "X-Session-ID", "Content-Disposition"),
    max_age=600,
)
EXPOSED = "X-Request-ID, X-Session-ID, Content-Disposition"
CORS_HEADERS = {
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-max-age",
}


class Payload(BaseModel):
    name: str


def build_app(policy: CorsPolicy = POLICY) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_cors(app, policy)

    @app.get("/ok")
    def ok() -> dict[str, str]:
        return {"status": "fine"}

    @app.get("/unauthenticated")
    def unauthenticated() -> None:
        raise AuthenticationError("Token expired")

    @app.get("/not-found")
    def not_found() -> None:
        raise NotFoundError("Session not found")

    @app.get("/conflict")
    def conflict() -> None:
        raise HTTPException(status_code=409, detail="Already exists")

    @app.post("/validate")
    def validate(payload: Payload) -> Payload:
        return payload

    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("boom")

    @app.get("/stream")
    def stream() -> StreamingResponse:
        def body() -> Iterator[str]:
            yield "event: message_start\ndata: {}\n\n"
            yield "event: done\ndata: {}\n\n"

        return StreamingResponse(body(), media_type="text/event-stream", headers={"X-Session-ID": "s1"})

    return app


@pytest.fixture
def client() -> TestClient:
    return TestClient(build_app(), raise_server_exceptions=False)


def preflight(client: TestClient, path: str, *, origin: str = ORIGIN, method: str = "POST",
              headers: str = "authorization,content-type") -> object:  # fmt: skip
    return client.options(
        path,
        headers={"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers},
    )


def cors_headers(response) -> dict[str, str]:
    return {key: value for key, value in response.headers.items() if key in CORS_HEADERS}


# The policy


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:4200", "http://127.0.0.1:4200", "https://chat.example.edu", "http://[::1]:4200", "*"],
)
def test_well_formed_origins_are_accepted(origin: str) -> None:
    assert CorsPolicy(allow_origins=(origin,)).allow_origins == (origin,)


@pytest.mark.parametrize(
    ("origin", "reason"),
    [
        ("localhost:4200", "the scheme must be http or https"),
        ("ftp://files.example.edu", "the scheme must be http or https"),
        ("http://localhost:4200/", "without a path"),
        ("https://chat.example.edu/app", "without a path"),
        ("https://chat.example.edu?x=1", "without a path"),
        ("https://chat.example.edu#top", "without a path"),
        ("https://Chat.Example.edu", "lower case"),
        ("https://chat.example.edu:443", "default port 443"),
        ("http://localhost:80", "default port 80"),
        ("http://localhost:99999", "Port out of range"),
        ("https://user@chat.example.edu", "needs a host and nothing before it"),
        ("https://", "needs a host"),
    ],
)
def test_malformed_origins_are_refused_with_the_reason(origin: str, reason: str) -> None:
    with pytest.raises(CorsConfigurationError) as raised:
        CorsPolicy(allow_origins=(origin,))
    assert str(raised.value).startswith(f"invalid CORS origin {origin!r}: ")
    assert reason in str(raised.value)


def test_any_origin_with_credentials_is_refused() -> None:
    with pytest.raises(CorsConfigurationError) as raised:
        CorsPolicy(allow_origins=("*",), allow_credentials=True)
    assert str(raised.value) == "allow_origins '*' cannot be combined with allow_credentials: list the exact origins"


def test_any_origin_must_stand_alone() -> None:
    with pytest.raises(CorsConfigurationError, match="list it alone"):
        CorsPolicy(allow_origins=("*", ORIGIN))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("allow_methods", ("get",), "invalid CORS method 'get'"),
        ("allow_methods", ("FETCH",), "invalid CORS method 'FETCH'"),
        ("allow_headers", ("X Bad",), "invalid header name 'X Bad'"),
        ("expose_headers", ("X-Ok", "Bad:Name"), "invalid header name 'Bad:Name'"),
        ("max_age", -1, "max_age must be between 0 and 86400 seconds"),
        ("max_age", 86_401, "max_age must be between 0 and 86400 seconds"),
        ("allow_origins", [ORIGIN], "allow_origins must be a tuple of strings"),
    ],
)
def test_other_malformed_settings_are_refused(field: str, value: object, message: str) -> None:
    with pytest.raises(CorsConfigurationError, match=message):
        CorsPolicy(**{field: value})  # type: ignore[arg-type]


def test_the_policy_is_frozen() -> None:
    with pytest.raises(AttributeError):
        POLICY.allow_credentials = True  # type: ignore[misc]


# Preflights


@pytest.mark.parametrize("path", ["/ok", "/validate", "/crash", "/stream", "/no-such-route"])
def test_a_preflight_from_an_allowed_origin_is_answered(client: TestClient, path: str) -> None:
    response = preflight(client, path)
    assert response.status_code == 200
    assert cors_headers(response) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
        "access-control-allow-headers": (
            "Accept, Accept-Language, Authorization, Cache-Control, Content-Language, Content-Type, "
            "Last-Event-ID, X-Request-ID"
        ),
        "access-control-max-age": "600",
    }
    assert len(response.headers[REQUEST_ID_HEADER]) == 32


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"origin": OTHER_ORIGIN}, "Disallowed CORS origin"),
        ({"headers": "authorization,x-api-key"}, "Disallowed CORS headers"),
        ({"method": "OPTIONS"}, "Disallowed CORS method"),
    ],
)
def test_a_refused_preflight_is_the_error_envelope(client: TestClient, kwargs: dict[str, str], message: str) -> None:
    response = preflight(client, "/ok", **kwargs)
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "bad_request", "message": message, "requestId": response.headers[REQUEST_ID_HEADER]}
    }
    if "origin" in kwargs:
        assert "access-control-allow-origin" not in response.headers
    else:
        assert response.headers["access-control-allow-origin"] == ORIGIN


# Actual responses


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/ok", 200, None),
        ("GET", "/unauthenticated", 401, "unauthorized"),
        ("GET", "/not-found", 404, "not_found"),
        ("GET", "/no-such-route", 404, "not_found"),
        ("DELETE", "/ok", 405, "bad_request"),
        ("GET", "/conflict", 409, "conflict"),
        ("POST", "/validate", 422, "validation_error"),
        ("GET", "/crash", 500, "internal_error"),
    ],
)
def test_every_response_carries_the_allow_and_expose_headers(
    client: TestClient, method: str, path: str, status: int, code: str | None
) -> None:
    response = client.request(method, path, headers={"Origin": ORIGIN}, json={})
    assert response.status_code == status
    if code is not None:
        assert response.json()["error"]["code"] == code
        assert response.json()["error"]["requestId"] == response.headers[REQUEST_ID_HEADER]
    assert cors_headers(response) == {"access-control-allow-origin": ORIGIN, "access-control-expose-headers": EXPOSED}
    assert "Origin" in response.headers["vary"]


def test_a_streamed_response_carries_the_cors_headers(client: TestClient) -> None:
    response = client.get("/stream", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == "event: message_start\ndata: {}\n\nevent: done\ndata: {}\n\n"
    assert cors_headers(response) == {"access-control-allow-origin": ORIGIN, "access-control-expose-headers": EXPOSED}
    assert response.headers["x-session-id"] == "s1"


@pytest.mark.parametrize("path", ["/ok", "/crash"])
def test_a_disallowed_origin_gets_no_allow_header(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Origin": OTHER_ORIGIN})
    assert "access-control-allow-origin" not in response.headers


def test_a_request_without_origin_gets_no_cors_headers(client: TestClient) -> None:
    response = client.get("/ok")
    assert response.status_code == 200
    assert cors_headers(response) == {}


def test_credentials_are_announced_only_when_allowed() -> None:
    policy = CorsPolicy(allow_origins=(ORIGIN,), allow_credentials=True)
    client = TestClient(build_app(policy))
    assert client.get("/ok", headers={"Origin": ORIGIN}).headers["access-control-allow-credentials"] == "true"
    assert preflight(client, "/ok", headers="content-type").headers["access-control-allow-credentials"] == "true"
    assert (
        "access-control-allow-credentials" not in TestClient(build_app()).get("/ok", headers={"Origin": ORIGIN}).headers
    )


def test_no_origins_means_no_cors_headers_and_refused_preflights() -> None:
    app = build_app(CorsPolicy())
    assert [entry.cls.__name__ for entry in app.user_middleware] == ["RequestIdMiddleware", "UnhandledErrorMiddleware"]
    client = TestClient(app)
    refused = preflight(client, "/ok")
    assert refused.status_code == 405
    assert refused.json()["error"]["code"] == "bad_request"
    assert cors_headers(refused) == {}
    assert cors_headers(client.get("/ok", headers={"Origin": ORIGIN})) == {}


# Where the middleware goes, and the mistakes it refuses


def test_cors_sits_inside_the_request_id_and_outside_the_unhandled_error_middleware() -> None:
    names = [entry.cls.__name__ for entry in build_app().user_middleware]
    assert names == ["RequestIdMiddleware", "_EnvelopeCORSMiddleware", "UnhandledErrorMiddleware"]


def test_middleware_added_later_does_not_move_cors_inside_the_error_handling() -> None:
    app = build_app()
    app.add_middleware(CORSMiddleware, allow_origins=["https://other.example"])
    response = TestClient(app, raise_server_exceptions=False).get("/crash", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == ORIGIN


def test_cors_before_the_error_handlers_is_refused() -> None:
    with pytest.raises(RuntimeError, match=r"call install_error_handlers\(app\) before install_cors"):
        install_cors(FastAPI(), POLICY)


def test_an_exception_handler_that_would_bypass_cors_is_refused() -> None:
    app = FastAPI()
    install_error_handlers(app)

    async def last_resort(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": {"code": "internal_error"}}, status_code=500)

    app.add_exception_handler(Exception, last_resort)
    with pytest.raises(RuntimeError, match="runs outside every middleware"):
        install_cors(app, POLICY)


def test_why_it_is_refused_a_starlette_exception_handler_answers_without_cors_headers() -> None:
    """The trap install_cors avoids: Starlette runs an Exception handler in ServerErrorMiddleware,
    outside every user middleware, so the plain add_middleware set-up sends that 500 without CORS."""
    app = FastAPI()

    async def last_resort(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": {"code": "internal_error"}}, status_code=500)

    app.add_exception_handler(Exception, last_resort)
    app.add_middleware(CORSMiddleware, allow_origins=[ORIGIN])

    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("boom")

    response = TestClient(app, raise_server_exceptions=False).get("/crash", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert "access-control-allow-origin" not in response.headers


def test_installing_after_the_app_started_is_refused() -> None:
    app = FastAPI()
    install_error_handlers(app)
    TestClient(app).get("/")
    with pytest.raises(RuntimeError, match="before the app starts serving"):
        install_cors(app, POLICY)


def test_settings_default_to_the_local_client_in_development_and_nothing_elsewhere() -> None:
    settings = CorsSettings()
    assert LOCAL_WEB_CLIENT_ORIGINS == ("http://localhost:4200", "http://127.0.0.1:4200")
    assert settings.cors_policy_for(development=True) == CorsPolicy(
        allow_origins=LOCAL_WEB_CLIENT_ORIGINS,
        allow_methods=("GET", "POST", "PUT", "PATCH", "DELETE"),
        allow_headers=("Authorization", "Content-Type", "Accept", "X-Request-ID", "Last-Event-ID", "Cache-Control"),
        expose_headers=("X-Request-ID", "X-Session-ID", "Content-Disposition"),
        allow_credentials=False,
        max_age=600,
    )
    production = settings.cors_policy_for(development=False)
    assert production.allow_origins == ()
    assert not production.enabled


def test_configured_origins_win_in_every_environment() -> None:
    settings = CorsSettings(cors_allow_origins=["https://chat.example.edu"])
    assert settings.cors_policy_for(development=True).allow_origins == ("https://chat.example.edu",)
    assert settings.cors_policy_for(development=False).allow_origins == ("https://chat.example.edu",)
    # An explicit empty list turns CORS off, in development too.
    assert CorsSettings(cors_allow_origins=[]).cors_policy_for(development=True).allow_origins == ()


def test_unsafe_settings_are_refused_when_the_policy_is_built() -> None:
    settings = CorsSettings(cors_allow_origins=["*"], cors_allow_credentials=True)
    with pytest.raises(CorsConfigurationError, match="cannot be combined with allow_credentials"):
        settings.cors_policy_for(development=False)
