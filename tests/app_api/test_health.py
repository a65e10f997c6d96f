from __future__ import annotations

from importlib.metadata import version
from typing import TYPE_CHECKING

import apis.shared
from tests.support.pins import assert_runs_on_its_pin

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def test_health_reports_service_and_versions(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "healthy",
        "service": "app-api",
        "version": version("app-api"),
        "apisSharedVersion": apis.shared.__version__,
    }
    assert response.headers["X-Request-ID"]


def test_runs_on_its_pinned_library() -> None:
    assert_runs_on_its_pin("app-api")
