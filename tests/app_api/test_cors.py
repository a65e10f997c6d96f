"""app-api from a browser on another origin: every route's preflight, CORS headers on every kind of response,
and the origins each environment allows."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from apis.app_api.settings import AppApiSettings
from apis.shared.http import REQUEST_ID_HEADER
from tests.app_api.conftest import make_app, person
from tests.app_api.test_assistants import add_document, create
from tests.support.sse import parse_sse
from tests.support.tokens import AUDIENCE, ISSUER

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI

ORIGIN = "http://localhost:4200"
ADA = person("111111111", "ada@example.edu")
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

# What the web client calls on app-api (client contract §4-§11, §13, §15-§18).
CONTRACT_CALLS = [
    ("GET", "/sessions"), ("GET", "/sessions/{id}/metadata"), ("PUT", "/sessions/{id}/metadata"),
    ("DELETE", "/sessions/{id}"), ("POST", "/sessions/bulk-delete"), ("GET", "/sessions/{id}/messages"),
    ("POST", "/files/presign"), ("POST", "/files/{id}/complete"), ("GET", "/files"), ("DELETE", "/files/{id}"),
    ("GET", "/files/quota"),
    ("POST", "/assistants/draft"), ("POST", "/assistants"), ("GET", "/assistants"), ("GET", "/assistants/{id}"),
    ("PUT", "/assistants/{id}"), ("POST", "/assistants/{id}/archive"), ("DELETE", "/assistants/{id}"),
    ("GET", "/assistants/{id}/shares"), ("POST", "/assistants/{id}/shares"), ("DELETE", "/assistants/{id}/shares"),
    ("POST", "/assistants/{id}/documents/upload-url"), ("GET", "/assistants/{id}/documents"),
    ("GET", "/assistants/{id}/documents/{id}"), ("GET", "/assistants/{id}/documents/{id}/download"),
    ("DELETE", "/assistants/{id}/documents/{id}"), ("POST", "/assistants/{id}/test-chat"),
    ("GET", "/users/search"),
    ("GET", "/models"), ("GET", "/admin/managed-models"), ("POST", "/admin/managed-models"),
    ("GET", "/admin/managed-models/{id}"), ("PUT", "/admin/managed-models/{id}"),
    ("DELETE", "/admin/managed-models/{id}"),
    ("GET", "/admin/roles/"), ("POST", "/admin/roles/"), ("GET", "/admin/roles/{id}"), ("PATCH", "/admin/roles/{id}"),
    ("DELETE", "/admin/roles/{id}"), ("POST", "/admin/roles/{id}/sync"),
    ("GET", "/admin/users"), ("GET", "/admin/users/search"), ("GET", "/admin/users/{id}"),
    ("GET", "/admin/users/domains/list"),
    *[(method, f"/admin/quota/{kind}") for kind in ("tiers", "assignments", "overrides") for method in ("GET", "POST")],
    *[(method, f"/admin/quota/{kind}/{{id}}") for kind in ("tiers", "assignments", "overrides")
      for method in ("GET", "PATCH", "DELETE")],
    ("GET", "/admin/quota/events"), ("GET", "/admin/quota/users/{id}"),
    ("POST", "/chat/generate-title"),
    ("GET", "/auth/login"), ("POST", "/auth/token"), ("POST", "/auth/refresh"), ("GET", "/auth/logout"),
    ("GET", "/costs/summary"), ("GET", "/costs/detailed-report"),
    ("GET", "/admin/costs/dashboard"), ("GET", "/admin/costs/top-users"), ("GET", "/admin/costs/export"),
    ("GET", "/memory/status"), ("GET", "/memory"), ("POST", "/memory/search"), ("DELETE", "/memory/{id}"),
    ("GET", "/memory/preferences"), ("GET", "/memory/facts"), ("GET", "/memory/strategies"),
    ("GET", "/tools/"), ("PUT", "/tools/preferences"), ("GET", "/tools/catalog"),
]  # fmt: skip


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{id}", path)


def route_table(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, from its OpenAPI description (path parameters as ``{id}``)."""
    return {
        (method.upper(), _shape(path))
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


def cors_headers(response: Any) -> dict[str, str]:
    return {key: value for key, value in response.headers.items() if key in CORS_HEADERS}


def preflight(client: TestClient, method: str, path: str, origin: str = ORIGIN) -> Any:
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
    """The test client as the web client in a browser: every request carries the page's origin."""
    client.headers["Origin"] = ORIGIN
    return client


def test_the_route_table_covers_every_call_of_the_client(app: FastAPI) -> None:
    missing = sorted(set(CONTRACT_CALLS) - route_table(app))
    assert missing == []


def test_every_route_answers_the_preflight_of_the_client(client: TestClient, app: FastAPI) -> None:
    routes = sorted(route_table(app) | set(CONTRACT_CALLS))
    assert len(routes) >= len(CONTRACT_CALLS)
    refused = []
    for method, path in routes:
        response = preflight(client, method, path.replace("{id}", "x-1"))
        headers = cors_headers(response)
        allowed = headers.get("access-control-allow-methods", "").split(", ")
        if (
            response.status_code != 200
            or headers.get("access-control-allow-origin") != ORIGIN
            or method not in allowed
            or headers.get("access-control-allow-headers") != ALLOWED_HEADERS
        ):
            refused.append((method, path, response.status_code, headers))
    assert refused == []


def test_a_preflight_is_answered_with_the_configured_allowances(client: TestClient) -> None:
    response = preflight(client, "GET", "/sessions")
    assert response.status_code == 200
    assert cors_headers(response) == {
        "access-control-allow-origin": ORIGIN,
        "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": "600",
    }


def test_a_preflight_from_another_origin_is_refused(client: TestClient) -> None:
    response = preflight(client, "POST", "/sessions/bulk-delete", origin="https://evil.example")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "bad_request",
            "message": "Disallowed CORS origin",
            "requestId": response.headers[REQUEST_ID_HEADER],
        }
    }
    assert "access-control-allow-origin" not in response.headers


def assert_cors(response: Any) -> None:
    assert cors_headers(response) == {"access-control-allow-origin": ORIGIN, "access-control-expose-headers": EXPOSED}


def test_a_successful_response_carries_the_cors_headers(browser: TestClient) -> None:
    response = browser.get("/memory/status", headers=ADA)
    assert response.status_code == 200
    assert_cors(response)


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "code"),
    [
        ("GET", "/sessions", {}, 401, "unauthorized"),
        ("GET", "/assistants/AST-missing", ADA, 404, "not_found"),
        ("GET", "/no-such-page", ADA, 404, "not_found"),
        ("GET", "/memory?topK=0", ADA, 422, "validation_error"),
        ("POST", "/memory/search", ADA, 503, "service_unavailable"),
    ],
)
def test_an_error_envelope_carries_the_cors_headers(
    browser: TestClient, method: str, path: str, headers: dict[str, str], status: int, code: str
) -> None:
    response = browser.request(method, path, headers=headers, json={"query": "coffee"})
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert_cors(response)


def test_an_unexpected_500_carries_the_cors_headers(browser: TestClient, app: FastAPI,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    def crash(user: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(app.state.container.managed_models, "accessible_models", crash)
    response = browser.get("/models", headers=ADA)
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "An unexpected error occurred",
            "requestId": response.headers[REQUEST_ID_HEADER],
        }
    }
    assert_cors(response)


@pytest.mark.usefixtures("test_chat_model")
def test_the_streamed_test_chat_carries_the_cors_headers(browser: TestClient, s3: Any, app: FastAPI) -> None:
    assistant = create(browser)["assistantId"]
    add_document(browser, s3, app, assistant, b"The capital of Atlantis is Poseidonia.")
    response = browser.post(f"/assistants/{assistant}/test-chat", json={"message": "Atlantis?"}, headers=ADA)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert [frame.event for frame in parse_sse(response.text)][-1] == "done"
    assert_cors(response)


def test_another_origin_gets_no_allow_header(client: TestClient) -> None:
    response = client.get("/memory/status", headers={**ADA, "Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


# Which origins each environment allows


def settings_for(environment: str, **values: Any) -> AppApiSettings:
    return AppApiSettings(environment=environment, auth_issuer=ISSUER, auth_audiences=[AUDIENCE],
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
    refused = preflight(production_client, "GET", "/sessions")
    assert refused.status_code == 405
    assert refused.json()["error"]["code"] == "bad_request"
    assert cors_headers(refused) == {}
    response = production_client.get("/memory/status", headers={**ADA, "Origin": ORIGIN})
    assert response.status_code == 200
    assert cors_headers(response) == {}


def test_origins_come_from_the_environment_as_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_API_CORS_ALLOW_ORIGINS", '["https://chat.example.edu", "https://beta.example.edu"]')
    monkeypatch.setenv("APP_API_CORS_MAX_AGE", "3600")
    policy = settings_for("production").cors_policy()
    assert policy.allow_origins == ("https://chat.example.edu", "https://beta.example.edu")
    assert policy.max_age == 3600
    assert policy.allow_credentials is False


def test_an_empty_list_turns_cors_off_even_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_API_CORS_ALLOW_ORIGINS", "[]")
    assert settings_for("development").cors_policy().allow_origins == ()


def test_any_origin_with_credentials_stops_the_service_at_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_API_CORS_ALLOW_ORIGINS", '["*"]')
    monkeypatch.setenv("APP_API_CORS_ALLOW_CREDENTIALS", "true")
    with pytest.raises(ValidationError, match=r"allow_origins '\*' cannot be combined with allow_credentials"):
        settings_for("production")


def test_a_malformed_origin_stops_the_service_at_startup() -> None:
    with pytest.raises(ValidationError, match=re.escape("invalid CORS origin 'https://chat.example.edu/'")):
        settings_for("production", cors_allow_origins=["https://chat.example.edu/"])
