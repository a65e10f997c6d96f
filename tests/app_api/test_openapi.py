"""app-api's OpenAPI schema documents every error status with the envelope (issue 11: undocumented 401/403/404/...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ENVELOPE = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(method, path, operation) for path, item in schema["paths"].items() for method, operation in item.items()]


def test_every_error_response_of_every_operation_is_the_envelope(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert len(operations(schema)) >= 80
    for method, path, operation in operations(schema):
        errors = {status: response for status, response in operation["responses"].items() if int(status) >= 400}
        assert "500" in errors, (method, path)
        for status, response in errors.items():
            assert response["content"] == ENVELOPE, (method, path, status)
        if operation.get("security"):
            assert {"401", "403", "503", "504"} <= set(errors), (method, path)
    assert {"HTTPValidationError", "ValidationError"}.isdisjoint(schema["components"]["schemas"])


def test_the_statuses_of_the_fuzzed_operations(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert sorted(paths["/assistants/{assistant_id}"]["put"]["responses"]) == [
        "200", "400", "401", "403", "404", "409", "413", "422", "429", "500", "502", "503", "504",
    ]  # fmt: skip
    assert sorted(paths["/models"]["get"]["responses"]) == ["200", "401", "403", "500", "503", "504"]
    assert sorted(paths["/health"]["get"]["responses"]) == ["200", "500"]
    assert sorted(paths["/auth/refresh"]["post"]["responses"]) == [
        "200", "400", "401", "404", "409", "413", "422", "429", "500", "502", "503", "504",
    ]  # fmt: skip


def test_a_refusal_the_schema_documents_comes_in_the_documented_body(client: TestClient) -> None:
    response = client.get("/sessions")
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
    error = response.json()["error"]
    assert set(error) == {"code", "message", "requestId", "metadata"}
    assert (error["code"], error["metadata"]) == ("unauthorized", {"reason": "missing_token"})
