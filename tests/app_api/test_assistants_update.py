"""``PUT /assistants/{id}`` with explicit nulls: a 422 naming the fields, never a 500, and nothing changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.app_api.test_assistants import ADA, create

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def test_null_instructions_and_visibility_are_a_validation_error(client: TestClient) -> None:
    assistant = create(client)
    response = client.put(f"/assistants/{assistant['assistantId']}", headers=ADA,
                          json={"instructions": None, "visibility": None})  # fmt: skip
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error.pop("requestId")
    assert error == {
        "code": "validation_error",
        "message": "Invalid request: body.instructions: Value error, may be left out but not null; "
        "body.visibility: Value error, may be left out but not null",
        "detail": [
            {"loc": ["body", field], "type": "value_error", "msg": "Value error, may be left out but not null"}
            for field in ("instructions", "visibility")
        ],
        "field": "body.instructions",
    }
    stored = client.get(f"/assistants/{assistant['assistantId']}", headers=ADA).json()
    assert (stored["instructions"], stored["visibility"]) == ("Be brief.", "PRIVATE")


@pytest.mark.parametrize("field", ["name", "description", "instructions", "visibility", "tags", "status"])
def test_every_field_but_the_image_refuses_null(client: TestClient, field: str) -> None:
    assistant = create(client)
    response = client.put(f"/assistants/{assistant['assistantId']}", headers=ADA, json={field: None})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == f"body.{field}"


def test_a_null_image_url_removes_the_image(client: TestClient) -> None:
    assistant = create(client, imageUrl="https://example.edu/tutor.png")
    response = client.put(f"/assistants/{assistant['assistantId']}", headers=ADA, json={"imageUrl": None})
    assert response.status_code == 200, response.text
    assert response.json().get("imageUrl") is None
    assert response.json()["instructions"] == "Be brief."
