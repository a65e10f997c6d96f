from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from apis.app_api.main import create_app
from apis.app_api.settings import AppApiSettings


@pytest.fixture
def settings() -> AppApiSettings:
    return AppApiSettings(environment="test")


@pytest.fixture
def client(settings: AppApiSettings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False)
