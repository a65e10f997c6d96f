"""``POST /chat/generate-title``: a short title stored on the session; "New Conversation" when the model fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from apis.app_api.chat.titles import clean_title
from apis.shared.models import ModelAccessDeniedError, TextDelta
from tests.app_api.conftest import person
from tests.support.faults import FAULTS, inject_fault

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi.testclient import TestClient

    from apis.shared.models import ModelEvent, ModelRequest

ADA = person("111111111", "ada@example.edu")


class ScriptedModel:
    name = "scripted"

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.requests: list[ModelRequest] = []

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        self.requests.append(request)
        yield TextDelta(self.answer)


class DeniedModel:
    name = "denied"

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        raise ModelAccessDeniedError(detail="AccessDeniedException: model access not enabled")
        yield  # pragma: no cover - makes this a generator


@pytest.mark.parametrize("model", [ScriptedModel('"Tidal forces explained."\nextra line')])
def test_the_title_is_cleaned_returned_and_stored(client: TestClient, model: ScriptedModel) -> None:
    response = client.post("/chat/generate-title", json={"session_id": "s1", "input": "Why are there tides?"},
                           headers=ADA)  # fmt: skip
    assert response.status_code == 200
    assert response.json() == {"title": "Tidal forces explained", "session_id": "s1"}
    assert client.get("/sessions/s1/metadata", headers=ADA).json()["title"] == "Tidal forces explained"
    (request,) = model.requests
    assert request.model_id == "us.amazon.nova-micro-v1:0" and request.max_tokens == 50


@pytest.mark.parametrize("model", [DeniedModel()])
def test_a_failing_model_gives_the_fallback_title(client: TestClient) -> None:
    response = client.post("/chat/generate-title", json={"session_id": "s1", "input": "hello"}, headers=ADA)
    assert response.status_code == 200 and response.json()["title"] == "New Conversation"


def test_titles_are_one_short_line() -> None:
    assert clean_title("  **Title**  ") == "Title"
    long = clean_title("word " * 30)
    assert len(long) <= 50 and long.endswith("…")
    assert clean_title("\n\n") == ""


def test_a_storage_failure_is_5xx(client: TestClient, dynamodb) -> None:
    fault = FAULTS[0]
    with inject_fault(dynamodb, "GetItem", fault):
        response = client.post("/chat/generate-title", json={"session_id": "s1", "input": "hello"}, headers=ADA)
    assert response.status_code == fault.status and response.json()["error"]["code"] == fault.code


def test_bad_input_is_422_in_the_envelope(client: TestClient) -> None:
    response = client.post("/chat/generate-title", json={"session_id": "s1"}, headers=ADA)
    assert response.status_code == 422 and response.json()["error"]["field"] == "body.input"
