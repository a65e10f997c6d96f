"""inference-api from a browser on another origin: the chat stream's preflight, CORS headers on the stream, on
its refusals and on unexpected 500s, and the origins each environment allows."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from apis.inference_api.settings import InferenceApiSettings
from apis.shared.http import REQUEST_ID_HEADER
from tests.inference_api.conftest import ADA, chat, make_app
from tests.support.sse import parse_sse
from tests.support.tokens import AUDIENCE, ISSUER

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI

ORIGIN = "http://localhost:4200"
EXPOSED = "X-Request-ID, X-Session-ID, Content-Disposition"
ALLOWED_HEADERS = (
    "Accept, Accept-Language, Authorization, Cache-Control, Content-Language, Content-Type, Last-Event-ID, X-Request-ID"
)
CORS_HEADERS = {
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-max-age",
}
# What the web client calls on inference-api (client contract §13): the chat stream, always with ?qualifier=DEFAULT.
CONTRACT_CALLS = [("POST", "/invocations")]


def route_table(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method.upper(), re.sub(r"\{[^}]+\}", "{id}", path))
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


def cors_headers(response: Any) -> dict[str, str]:
    return {key: value for key, value in response.headers.items() if key in CORS_HEADERS}


def assert_cors(response: Any) -> None:
    assert cors_headers(response) == {"access-control-allow-origin": ORIGIN, "access-control-expose-headers": EXPOSED}


def preflight(client: TestClient, method: str, path: str, origin: str = ORIGIN) -> Any:
    # fetch-event-source sends Accept itself; Accept is CORS-safelisted, so only these two are asked for.
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    client.headers["Origin"] = ORIGIN
    return client


def test_the_route_table_covers_the_chat_stream(app: FastAPI) -> None:
    assert set(CONTRACT_CALLS) <= route_table(app)
    assert route_table(app) == {("GET", "/ping"), ("POST", "/invocations")}


@pytest.mark.parametrize(("method", "path"), [("POST", "/invocations?qualifier=DEFAULT"), ("GET", "/ping")])
def test_every_route_answers_the_preflight_of_the_client(client: TestClient, method: str, path: str) -> None:
    response = preflight(client, method, path)
    assert response.status_code == 200
    assert cors_headers(response) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": "600",
    }


def test_a_preflight_from_another_origin_is_refused(client: TestClient) -> None:
    response = preflight(client, "POST", "/invocations?qualifier=DEFAULT", origin="https://evil.example")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "bad_request",
            "message": "Disallowed CORS origin",
            "requestId": response.headers[REQUEST_ID_HEADER],
        }
    }
    assert "access-control-allow-origin" not in response.headers


def test_the_chat_stream_carries_the_cors_headers_and_exposes_its_session_id(browser: TestClient) -> None:
    response = chat(browser)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert [frame.event for frame in parse_sse(response.text)][-1] == "done"
    assert_cors(response)
    assert response.headers["x-session-id"] == "s1"


def test_the_health_check_carries_the_cors_headers(browser: TestClient) -> None:
    response = browser.get("/ping")
    assert response.status_code == 200
    assert_cors(response)


def test_a_refusal_before_the_stream_carries_the_cors_headers(browser: TestClient) -> None:
    unauthenticated = chat(browser, headers={})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "unauthorized"
    assert_cors(unauthenticated)
    invalid = browser.post("/invocations", json={"message": "hi"}, headers=ADA)
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "validation_error"
    assert_cors(invalid)


def test_an_unexpected_500_carries_the_cors_headers(browser: TestClient, app: FastAPI,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    def crash(user: Any, body: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(app.state.container.chat, "start", crash)
    response = chat(browser)
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "An unexpected error occurred",
            "requestId": response.headers[REQUEST_ID_HEADER],
        }
    }
    assert_cors(response)


def test_another_origin_gets_no_allow_header(client: TestClient) -> None:
    response = chat(client, headers={**ADA, "Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


# Which origins each environment allows


def settings_for(environment: str, **values: Any) -> InferenceApiSettings:
    return InferenceApiSettings(environment=environment, auth_issuer=ISSUER, auth_audiences=[AUDIENCE],
                                auth_jwks_url="unused", **values)  # fmt: skip


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_tests_allow_the_client_on_its_local_origins(environment: str) -> None:
    assert settings_for(environment).cors_policy().allow_origins == ("http://localhost:4200", "http://127.0.0.1:4200")


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_staging_and_production_allow_no_origin_until_configured(environment: str) -> None:
    assert settings_for(environment).cors_policy().allow_origins == ()


@pytest.fixture
def production_client(dynamodb: Any, s3: Any, knowledge_base: Any, model: Any) -> Iterator[TestClient]:
    app = make_app(settings_for("production"), dynamodb, s3, knowledge_base, model)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_production_defaults_answer_no_preflight_and_send_no_cors_headers(production_client: TestClient) -> None:
    refused = preflight(production_client, "POST", "/invocations?qualifier=DEFAULT")
    assert refused.status_code == 405
    assert refused.json()["error"]["code"] == "bad_request"
    assert cors_headers(refused) == {}
    response = production_client.get("/ping", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert cors_headers(response) == {}


def test_origins_come_from_the_environment_as_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFERENCE_API_CORS_ALLOW_ORIGINS", '["https://chat.example.edu"]')
    policy = settings_for("production").cors_policy()
    assert policy.allow_origins == ("https://chat.example.edu",)
    assert policy.allow_credentials is False


def test_any_origin_with_credentials_stops_the_service_at_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFERENCE_API_CORS_ALLOW_ORIGINS", '["*"]')
    monkeypatch.setenv("INFERENCE_API_CORS_ALLOW_CREDENTIALS", "true")
    with pytest.raises(ValidationError, match=r"allow_origins '\*' cannot be combined with allow_credentials"):
        settings_for("production")


def test_a_malformed_origin_stops_the_service_at_startup() -> None:
    with pytest.raises(ValidationError, match=re.escape("invalid CORS origin 'HTTPS://chat.example.edu'")):
        settings_for("production", cors_allow_origins=["HTTPS://chat.example.edu"])
