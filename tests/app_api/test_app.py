"""app-api wiring: settings, the library's error handlers, the OpenAPI document."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from apis.app_api.main import create_app
from apis.app_api.settings import AppApiSettings, get_settings
from apis.shared.errors import DependencyUnavailableError


def test_settings_default_to_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_API_ENVIRONMENT", raising=False)
    settings = AppApiSettings()
    assert settings.environment == "production"
    assert settings.expose_internal_errors is False
    assert settings.port == 8000


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_API_AUTH_AUDIENCES", '["api://a", "b"]')
    monkeypatch.setenv("APP_API_ENVIRONMENT", "development")
    monkeypatch.setenv("APP_API_PORT", "9000")
    get_settings.cache_clear()
    try:
        assert get_settings().expose_internal_errors is True
        assert get_settings().port == 9000
        assert get_settings().auth_audiences == ["api://a", "b"]
    finally:
        get_settings.cache_clear()


def test_bad_settings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_API_ENVIRONMENT", "prod")
    with pytest.raises(ValueError, match="environment"):
        AppApiSettings()


def test_unknown_route_is_an_enveloped_404(client: TestClient) -> None:
    response = client.get("/sessions-typo")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["requestId"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize(("environment", "exposed"), [("production", False), ("development", True)])
def test_dependency_errors_expose_internal_text_only_in_development(
    environment: str, exposed: bool, app, settings
) -> None:
    app.state.settings = settings
    from apis.app_api.container import build_container
    from apis.shared.auth import AuthConfig, Authenticator, AuthMode
    from apis.shared.composition import AwsClients

    configured = settings.model_copy(update={"environment": environment})
    dev_auth = Authenticator(AuthConfig(mode=AuthMode.DISABLED, environment="development"))
    app = create_app(
        configured,
        container=build_container(
            configured, clients=AwsClients(dynamodb=object(), s3=object()), authenticator=dev_auth
        ),
    )

    @app.get("/boom")
    def boom() -> None:
        raise DependencyUnavailableError("Sessions are unavailable", detail="ThrottlingException from DynamoDB")

    error = TestClient(app).get("/boom").json()["error"]
    assert error["code"] == "service_unavailable"
    assert ("detail" in error) is exposed


def test_openapi_lists_the_health_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "get" in paths["/health"]
