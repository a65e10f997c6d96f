"""Every error kind through a real FastAPI app: status, envelope, request id, exposure policy."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from apis.shared.errors import (
    AuthenticationError,
    DependencyUnavailableError,
    ErrorCode,
    NotFoundError,
    QuotaExceededError,
    create_error_response,
)
from apis.shared.files import FileQuotaExceededError
from apis.shared.http import REQUEST_ID_HEADER, install_error_handlers

if TYPE_CHECKING:
    from collections.abc import Iterator


class Payload(BaseModel):
    name: str = Field(min_length=1)
    count: int


class Wide(BaseModel):
    a: int
    b: int
    c: int
    d: int
    e: int


def build_app(*, expose_internal_errors: bool) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app, expose_internal_errors=expose_internal_errors)

    @app.get("/not-found")
    def not_found() -> None:
        raise NotFoundError("Session not found", detail="session s-1 does not exist", field="sessionId")

    @app.get("/unavailable")
    def unavailable() -> None:
        raise DependencyUnavailableError(
            "Failed to store session metadata", detail="ProvisionedThroughputExceededException: sessions-table"
        ) from ConnectionError("dynamodb")

    @app.get("/quota")
    def quota() -> None:
        raise QuotaExceededError("Monthly quota used", retry_after=120, metadata={"quotaLimit": 10})

    @app.get("/file-quota")
    def file_quota() -> None:
        raise FileQuotaExceededError(current_usage=900, max_allowed=1000, required_space=200)

    @app.get("/unauthenticated")
    def unauthenticated() -> None:
        raise AuthenticationError("Token expired")

    @app.get("/http-exception")
    def http_exception() -> None:
        raise HTTPException(status_code=409, detail="Already exists", headers={"X-Extra": "1"})

    @app.get("/http-exception-object")
    def http_exception_object() -> None:
        raise HTTPException(status_code=400, detail={"reason": "bad shape"})

    @app.get("/http-exception-500")
    def http_exception_500() -> None:
        raise HTTPException(status_code=500, detail={"trace": "internal"})

    @app.get("/http-exception-500-text")
    def http_exception_500_text() -> None:
        raise HTTPException(status_code=500, detail="OperationalError: password=hunter2 host=db.internal")

    @app.get("/http-exception-502-text")
    def http_exception_502_text() -> None:
        raise HTTPException(status_code=502, detail="upstream said: arn:aws:bedrock:us-east-1:123456789012:secret")

    @app.get("/seed-pattern-500")
    def seed_pattern_500() -> None:
        raise HTTPException(
            status_code=500,
            detail=create_error_response(
                code=ErrorCode.INTERNAL_ERROR, message="Failed to save", detail="KeyError: 'token=abc'", status_code=500
            ),
        )

    @app.get("/seed-pattern")
    def seed_pattern() -> None:
        raise HTTPException(
            status_code=503,
            detail=create_error_response(
                code=ErrorCode.SERVICE_UNAVAILABLE, message="Failed to store", detail="x", status_code=503
            ),
        )

    @app.post("/validate")
    def validate(payload: Payload) -> Payload:
        return payload

    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("secret connection string postgres://u:p@h")

    @app.get("/stream-crash")
    def stream_crash() -> StreamingResponse:
        def body() -> Iterator[str]:
            yield "event: message_start\ndata: {}\n\n"
            raise RuntimeError("mid-stream")

        return StreamingResponse(body(), media_type="text/event-stream")

    @app.get("/ok")
    def ok() -> dict[str, str]:
        return {"status": "fine"}

    return app


@pytest.fixture
def production() -> TestClient:
    return TestClient(build_app(expose_internal_errors=False), raise_server_exceptions=False)


@pytest.fixture
def development() -> TestClient:
    return TestClient(build_app(expose_internal_errors=True), raise_server_exceptions=False)


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert error["requestId"] == response.headers[REQUEST_ID_HEADER]
    return error


def test_success_carries_a_request_id_too(production: TestClient) -> None:
    response = production.get("/ok")
    assert response.status_code == 200
    assert len(response.headers[REQUEST_ID_HEADER]) == 32


def test_domain_client_error_shows_its_detail_and_field(production: TestClient) -> None:
    error = assert_envelope(production.get("/not-found"), 404, "not_found")
    assert error["message"] == "Session not found"
    assert error["detail"] == "session s-1 does not exist"
    assert error["field"] == "sessionId"


def test_dependency_failure_hides_internal_text_in_production(production: TestClient) -> None:
    error = assert_envelope(production.get("/unavailable"), 503, "service_unavailable")
    assert error["message"] == "Failed to store session metadata"
    assert "detail" not in error
    assert "Provisioned" not in production.get("/unavailable").text


def test_dependency_failure_shows_internal_text_in_development(development: TestClient) -> None:
    error = assert_envelope(development.get("/unavailable"), 503, "service_unavailable")
    assert error["detail"] == "ProvisionedThroughputExceededException: sessions-table"


def test_quota_error_has_retry_after_and_metadata(production: TestClient) -> None:
    response = production.get("/quota")
    error = assert_envelope(response, 429, "quota_exceeded")
    assert response.headers["Retry-After"] == "120"
    assert error["metadata"] == {"quotaLimit": 10}


def test_authentication_error_asks_for_a_bearer_token(production: TestClient) -> None:
    response = production.get("/unauthenticated")
    assert_envelope(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_http_exception_keeps_status_message_and_headers(production: TestClient) -> None:
    response = production.get("/http-exception")
    error = assert_envelope(response, 409, "conflict")
    assert error["message"] == "Already exists"
    assert response.headers["X-Extra"] == "1"


def test_http_exception_with_object_detail_gets_the_status_phrase(production: TestClient) -> None:
    error = assert_envelope(production.get("/http-exception-object"), 400, "bad_request")
    assert error["message"] == "Bad Request"
    assert error["detail"] == {"reason": "bad shape"}


def test_http_exception_5xx_detail_is_internal(production: TestClient, development: TestClient) -> None:
    assert "detail" not in assert_envelope(production.get("/http-exception-500"), 500, "internal_error")
    assert assert_envelope(development.get("/http-exception-500"), 500, "internal_error")["detail"] == {
        "trace": "internal"
    }


def test_seed_style_create_error_response_becomes_the_envelope(production: TestClient) -> None:
    error = assert_envelope(production.get("/seed-pattern"), 503, "service_unavailable")
    assert error["message"] == "Failed to store"
    assert "status_code" not in production.get("/seed-pattern").json()


@pytest.mark.parametrize(
    ("path", "status", "code", "message", "secret"),
    [
        ("/http-exception-500-text", 500, "internal_error", "Internal Server Error", "hunter2"),
        ("/http-exception-502-text", 502, "internal_error", "Bad Gateway", "123456789012"),
        ("/seed-pattern-500", 500, "internal_error", "Failed to save", "token=abc"),
        ("/seed-pattern", 503, "service_unavailable", "Failed to store", '"detail"'),
    ],
)
def test_http_exception_5xx_text_is_hidden_in_production_like_every_other_error(
    production: TestClient, path: str, status: int, code: str, message: str, secret: str
) -> None:
    response = production.get(path)
    error = assert_envelope(response, status, code)
    assert set(error) == {"code", "message", "requestId"}
    assert error["message"] == message
    assert secret not in response.text


def test_http_exception_5xx_text_is_shown_in_development(development: TestClient) -> None:
    error = assert_envelope(development.get("/http-exception-500-text"), 500, "internal_error")
    assert error["message"] == "OperationalError: password=hunter2 host=db.internal"
    assert (
        assert_envelope(development.get("/seed-pattern-500"), 500, "internal_error")["detail"]
        == "KeyError: 'token=abc'"
    )


def test_unknown_route_and_wrong_method_use_the_envelope(production: TestClient) -> None:
    assert_envelope(production.get("/nowhere"), 404, "not_found")
    response = production.delete("/ok")
    assert_envelope(response, 405, "bad_request")
    assert response.headers["Allow"] == "GET"


def test_validation_error_names_fields_without_echoing_input(production: TestClient) -> None:
    response = production.post("/validate", json={"name": "", "count": "Bearer eyJhbGciOiJSUzI1NiJ9.secret"})
    error = assert_envelope(response, 422, "validation_error")
    assert error["field"] == "body.name"
    assert error["message"].startswith("Invalid request: body.name: ")
    assert {tuple(problem["loc"]) for problem in error["detail"]} == {("body", "name"), ("body", "count")}
    assert all(set(problem) == {"loc", "type", "msg"} for problem in error["detail"])
    assert "eyJhbGci" not in response.text


def test_validation_error_on_unparseable_body(production: TestClient) -> None:
    response = production.post("/validate", content=b"{not json", headers={"Content-Type": "application/json"})
    assert_envelope(response, 422, "validation_error")


def test_many_validation_errors_are_summarised(production: TestClient) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/wide")
    def wide(payload: Wide) -> None:
        return None

    response = TestClient(app).post("/wide", json={})
    error = assert_envelope(response, 422, "validation_error")
    assert error["message"].endswith("(and 2 more)")


def test_unhandled_error_is_a_500_without_internal_text_in_production(
    production: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="apis.shared.http.error_handlers"):
        response = production.get("/crash")
    error = assert_envelope(response, 500, "internal_error")
    assert error["message"] == "An unexpected error occurred"
    assert "secret" not in response.text
    assert "detail" not in error
    logged = [record for record in caplog.records if record.exc_info]
    assert logged, "the traceback must be logged"
    assert isinstance(logged[0].exc_info[1], RuntimeError)


def test_unhandled_error_shows_its_text_in_development(development: TestClient) -> None:
    error = assert_envelope(development.get("/crash"), 500, "internal_error")
    assert error["detail"].startswith("RuntimeError: secret connection string")


def test_error_after_the_stream_started_is_not_answered_twice() -> None:
    client = TestClient(build_app(expose_internal_errors=False))
    with pytest.raises(RuntimeError, match="mid-stream"):
        client.get("/stream-crash")


def test_incoming_request_id_is_kept_when_plain(production: TestClient) -> None:
    response = production.get("/not-found", headers={REQUEST_ID_HEADER: "alb-1234.abc"})
    assert response.headers[REQUEST_ID_HEADER] == "alb-1234.abc"
    assert response.json()["error"]["requestId"] == "alb-1234.abc"


@pytest.mark.parametrize("incoming", ["has space", "x" * 129, "new\\nline", "semi;colon"])
def test_incoming_request_id_is_replaced_when_not_plain(production: TestClient, incoming: str) -> None:
    response = production.get("/ok", headers={REQUEST_ID_HEADER: incoming})
    assert response.headers[REQUEST_ID_HEADER] != incoming
    assert len(response.headers[REQUEST_ID_HEADER]) == 32


def test_the_file_quota_error_has_the_flat_body_the_web_client_tests_for(production: TestClient) -> None:
    response = production.get("/file-quota")
    assert response.status_code == 403
    body = response.json()
    # The client's upload code checks `body.error === "QUOTA_EXCEEDED"` and reads the three numbers.
    assert body["error"] == "QUOTA_EXCEEDED"
    assert (body["currentUsage"], body["maxAllowed"], body["requiredSpace"]) == (900, 1000, 200)
    assert body["code"] == "quota_exceeded"
    assert body["message"] == body["detail"] == "File storage quota exceeded"
    assert body["requestId"] == response.headers[REQUEST_ID_HEADER]
