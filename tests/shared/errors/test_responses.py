from __future__ import annotations

from apis.shared.errors import (
    DependencyUnavailableError,
    ErrorCode,
    ErrorDetail,
    NotFoundError,
    create_error_response,
    error_detail_from_exception,
)


def test_body_leaves_out_empty_members_and_uses_the_client_names() -> None:
    body = ErrorDetail(code=ErrorCode.NOT_FOUND, message="Session not found", request_id="r-1").to_body()
    assert body == {"error": {"code": "not_found", "message": "Session not found", "requestId": "r-1"}}


def test_body_carries_every_optional_member() -> None:
    detail = ErrorDetail(
        code=ErrorCode.VALIDATION_ERROR,
        message="Invalid",
        detail=[{"loc": ["body", "x"]}],
        field="body.x",
        metadata={"limit": 5},
    )
    assert detail.to_body() == {
        "error": {
            "code": "validation_error",
            "message": "Invalid",
            "detail": [{"loc": ["body", "x"]}],
            "field": "body.x",
            "metadata": {"limit": 5},
        }
    }


def test_error_detail_reads_its_own_body_back() -> None:
    body = ErrorDetail(code=ErrorCode.CONFLICT, message="m", request_id="abc").to_body()
    assert ErrorDetail.model_validate(body["error"]).request_id == "abc"


def test_create_error_response_keeps_the_seed_shape() -> None:
    response = create_error_response(
        code=ErrorCode.SERVICE_UNAVAILABLE,
        message="Failed to store session metadata",
        detail="throttled",
        status_code=503,
    )
    assert response == {
        "error": {"code": "service_unavailable", "message": "Failed to store session metadata", "detail": "throttled"},
        "status_code": 503,
    }


def test_detail_from_exception_applies_the_exposure_policy() -> None:
    hidden = error_detail_from_exception(
        DependencyUnavailableError(detail="botocore said no"), expose_internal_errors=False, request_id="r"
    )
    assert hidden.detail is None
    assert hidden.request_id == "r"
    shown = error_detail_from_exception(
        DependencyUnavailableError(detail="botocore said no"), expose_internal_errors=True
    )
    assert shown.detail == "botocore said no"
    client = error_detail_from_exception(
        NotFoundError(detail="no such file", field="uploadId"), expose_internal_errors=False
    )
    assert (client.detail, client.field) == ("no such file", "uploadId")
