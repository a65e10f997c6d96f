from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from apis.inference_api.main import create_app
from apis.inference_api.settings import InferenceApiSettings


@pytest.fixture
def settings() -> InferenceApiSettings:
    return InferenceApiSettings(environment="test")


@pytest.fixture
def client(settings: InferenceApiSettings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False)
