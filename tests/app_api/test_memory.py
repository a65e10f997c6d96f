"""/memory on a platform without long-term memory: the page loads quietly (contract §18, §21), the rest is a 503."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from apis.shared.http import REQUEST_ID_HEADER
from tests.app_api.conftest import person

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ADA = person("111111111", "ada@example.edu")
EMPTY = {"memories": [], "namespace": "", "totalCount": 0}
UNAVAILABLE_MESSAGE = "Long-term memory is not available on this platform"


def test_the_status_is_a_200_that_says_memory_is_off(client: TestClient) -> None:
    response = client.get("/memory/status", headers=ADA)
    assert response.status_code == 200
    assert response.json() == {"status": "unavailable", "available": False, "mode": "none"}


@pytest.mark.parametrize("query", ["?topK=20", "", "?topK=1", "?topK=100"])
def test_the_list_is_a_200_with_nothing_in_it(client: TestClient, query: str) -> None:
    response = client.get(f"/memory{query}", headers=ADA)
    assert response.status_code == 200
    assert response.json() == {"preferences": EMPTY, "facts": EMPTY}


@pytest.mark.parametrize("top_k", ["0", "101", "-5", "many"])
def test_a_top_k_outside_1_to_100_is_a_422(client: TestClient, top_k: str) -> None:
    response = client.get("/memory", params={"topK": top_k}, headers=ADA)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["field"] == "query.topK"
    assert error["requestId"] == response.headers[REQUEST_ID_HEADER]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/memory/search", {"query": "coffee", "topK": 20}),
        ("DELETE", "/memory/mem-0123456789abcdef", None),
        ("GET", "/memory/preferences", None),
        ("GET", "/memory/facts", None),
        ("GET", "/memory/strategies", None),
    ],
)
def test_every_other_call_is_a_503_saying_memory_is_not_available(
    client: TestClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    response = client.request(method, path, json=body, headers=ADA)
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "service_unavailable",
            "message": UNAVAILABLE_MESSAGE,
            "requestId": response.headers[REQUEST_ID_HEADER],
        }
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [({"query": "", "topK": 20}, "body.query"), ({"query": "coffee", "topK": 0}, "body.topK"), ({}, "body.query")],
)
def test_a_malformed_search_is_a_422(client: TestClient, body: dict[str, object], field: str) -> None:
    response = client.post("/memory/search", json=body, headers=ADA)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["field"] == field


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/memory/status"),
        ("GET", "/memory?topK=20"),
        ("POST", "/memory/search"),
        ("DELETE", "/memory/mem-1"),
        ("GET", "/memory/preferences"),
        ("GET", "/memory/facts"),
        ("GET", "/memory/strategies"),
    ],
)
def test_every_memory_route_needs_a_signed_in_user(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, json={"query": "coffee"})
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "unauthorized",
            "message": "Authentication required",
            "metadata": {"reason": "missing_token"},
            "requestId": response.headers[REQUEST_ID_HEADER],
        }
    }
    assert response.headers["WWW-Authenticate"] == "Bearer"
