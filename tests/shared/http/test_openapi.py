"""``document_error_responses``: every operation's error statuses in the schema, each with the envelope."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.testclient import TestClient
from pydantic import BaseModel

from apis.shared.errors import ErrorCode
from apis.shared.http import ErrorBody, document_error_responses, install_error_handlers
from apis.shared.http.openapi import add_error_responses, error_statuses

ENVELOPE = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
bearer = HTTPBearer(auto_error=False)
Caller = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


class Note(BaseModel):
    text: str


class Teapot(BaseModel):
    brewing: bool


def build_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    document_error_responses(app)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/notes")
    def list_notes(caller: Caller) -> list[str]:
        return []

    @app.get("/notes/{note_id}")
    def get_note(note_id: str, caller: Caller) -> Note:
        raise HTTPException(404)

    @app.post("/notes")
    def create_note(note: Note, caller: Caller) -> Note:
        return note

    @app.post("/token")
    def token(note: Note) -> Note:
        return note

    @app.get("/teapot", responses={418: {"model": Teapot}, 409: {"description": "declared without a body"}})
    def teapot(kind: str) -> None:
        return None

    return app


def statuses(schema: dict, path: str, method: str) -> list[int]:
    return sorted(int(status) for status in schema["paths"][path][method]["responses"])


def test_each_operation_documents_the_error_statuses_its_kind_can_answer_with() -> None:
    schema = build_app().openapi()
    assert statuses(schema, "/health", "get") == [200, 500]
    assert statuses(schema, "/notes", "get") == [200, 401, 403, 500, 503, 504]
    assert statuses(schema, "/notes/{note_id}", "get") == [200, 400, 401, 403, 404, 409, 422, 500, 503, 504]
    assert statuses(schema, "/notes", "post") == [200, 400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503, 504]
    # Public, with a body: a credential in the body may be refused.
    assert statuses(schema, "/token", "post") == [200, 400, 401, 404, 409, 413, 422, 429, 500, 502, 503, 504]


def test_every_error_response_has_the_envelope_as_its_body() -> None:
    schema = build_app().openapi()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400 and (path, status) not in {("/teapot", "418")}:
                    assert response["content"] == ENVELOPE, (method, path, status)
                    assert response["description"]


def test_the_422_is_the_envelope_and_fastapis_validation_schemas_are_gone() -> None:
    schema = build_app().openapi()
    assert schema["paths"]["/notes"]["post"]["responses"]["422"] == {
        "description": "Validation error: the request does not match this schema",
        "content": ENVELOPE,
    }
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert "ValidationError" not in schema["components"]["schemas"]


def test_the_envelope_schema_is_the_body_the_handlers_send() -> None:
    components = build_app().openapi()["components"]["schemas"]
    assert components["ErrorBody"] == {
        "description": 'The body of every error response: ``{"error": {"code", "message", ...}}``.',
        "properties": {"error": {"$ref": "#/components/schemas/ErrorDetail"}},
        "required": ["error"],
        "title": "ErrorBody",
        "type": "object",
    }
    detail = components["ErrorDetail"]
    assert detail["required"] == ["code", "message"]
    assert set(detail["properties"]) == {"code", "message", "detail", "field", "metadata", "requestId"}
    assert components["ErrorCode"]["enum"] == [code.value for code in ErrorCode]
    client = TestClient(build_app())
    body = client.get("/notes/n-1").json()
    assert ErrorBody.model_validate(body).error.code is ErrorCode.NOT_FOUND
    assert set(body["error"]) <= set(detail["properties"])


def test_a_response_the_route_declares_with_a_body_is_kept_and_one_without_gets_the_envelope() -> None:
    responses = build_app().openapi()["paths"]["/teapot"]["get"]["responses"]
    assert responses["418"]["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Teapot"}}}
    assert responses["409"]["content"] == ENVELOPE


def test_adding_twice_changes_nothing_and_the_app_serves_the_documented_schema() -> None:
    app = build_app()
    first = app.openapi()
    assert add_error_responses(first) == first
    assert TestClient(app).get("/openapi.json").json() == first


def test_error_statuses_reads_only_the_operation_object() -> None:
    assert error_statuses({}) == [500]
    assert error_statuses({"security": [{"HTTPBearer": []}]}) == [401, 403, 500, 503, 504]
    assert error_statuses({"parameters": [{"name": "q", "in": "query"}]}) == [400, 404, 409, 422, 500, 503, 504]
