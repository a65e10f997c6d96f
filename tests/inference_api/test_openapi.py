"""inference-api's OpenAPI schema documents every error status with the envelope."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ENVELOPE = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def test_invocations_and_ping_document_their_errors_with_the_envelope(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    invocations = schema["paths"]["/invocations"]["post"]["responses"]
    assert sorted(invocations) == [
        "200", "400", "401", "403", "404", "409", "413", "422", "429", "500", "502", "503", "504",
    ]  # fmt: skip
    assert all(invocations[status]["content"] == ENVELOPE for status in invocations if status != "200")
    ping = schema["paths"]["/ping"]["get"]["responses"]
    assert sorted(ping) == ["200", "500"] and ping["500"]["content"] == ENVELOPE
    assert {"HTTPValidationError", "ValidationError"}.isdisjoint(schema["components"]["schemas"])
