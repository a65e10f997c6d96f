from __future__ import annotations

from typing import TYPE_CHECKING

from apis.inference_api.settings import InferenceApiSettings
from tests.support.pins import assert_runs_on_its_pin

if TYPE_CHECKING:
    import pytest
    from fastapi.testclient import TestClient


def test_ping_is_exactly_the_agentcore_body(client: TestClient) -> None:
    response = client.get("/ping")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy"}


def test_runs_on_its_pinned_library() -> None:
    assert_runs_on_its_pin("inference-api")


def test_defaults_follow_the_agentcore_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INFERENCE_API_PORT", raising=False)
    monkeypatch.delenv("INFERENCE_API_ENVIRONMENT", raising=False)
    settings = InferenceApiSettings()
    assert settings.port == 8080
    assert settings.environment == "production"
    assert settings.expose_internal_errors is False


def test_errors_use_the_library_envelope(client: TestClient) -> None:
    response = client.post("/ping")
    assert response.status_code == 405
    body = response.json()
    assert body["error"]["code"] == "bad_request"
    assert body["error"]["requestId"] == response.headers["X-Request-ID"]
