"""/tools on a platform without tools: the chat panel and the role pages load quietly (contract §16, §21)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from apis.shared.http import REQUEST_ID_HEADER
from tests.app_api.conftest import person

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ADA = person("111111111", "ada@example.edu")


def test_the_callers_tools_are_a_200_with_none(client: TestClient) -> None:
    response = client.get("/tools/", headers=ADA)
    assert response.status_code == 200
    assert response.json() == {"tools": []}


def test_the_catalogue_is_a_200_with_none(client: TestClient) -> None:
    response = client.get("/tools/catalog", headers=ADA)
    assert response.status_code == 200
    assert response.json() == {"tools": [], "total": 0}


def test_saving_no_preferences_is_accepted(client: TestClient) -> None:
    response = client.put("/tools/preferences", json={"preferences": {}}, headers=ADA)
    assert response.status_code == 200
    assert response.json() == {"preferences": {}}


def test_a_preference_for_a_tool_that_does_not_exist_is_a_400(client: TestClient) -> None:
    response = client.put(
        "/tools/preferences", json={"preferences": {"web_search": True, "calculator": False}}, headers=ADA
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "bad_request",
            "message": "Unknown tool: calculator, web_search",
            "detail": "This platform has no tools",
            "field": "preferences",
            "requestId": response.headers[REQUEST_ID_HEADER],
        }
    }


def test_a_malformed_preferences_body_is_a_422(client: TestClient) -> None:
    response = client.put("/tools/preferences", json={"preferences": {"web_search": "yes please"}}, headers=ADA)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/tools/", None), ("GET", "/tools/catalog", None), ("PUT", "/tools/preferences", {"preferences": {}})],
)
def test_every_tools_call_needs_a_signed_in_user(
    client: TestClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
