from __future__ import annotations

import pytest

from apis.shared.errors import ErrorCode, default_status_for, http_status_to_error_code


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, ErrorCode.BAD_REQUEST),
        (401, ErrorCode.UNAUTHORIZED),
        (403, ErrorCode.FORBIDDEN),
        (404, ErrorCode.NOT_FOUND),
        (409, ErrorCode.CONFLICT),
        (422, ErrorCode.VALIDATION_ERROR),
        (429, ErrorCode.RATE_LIMIT_EXCEEDED),
        (500, ErrorCode.INTERNAL_ERROR),
        (503, ErrorCode.SERVICE_UNAVAILABLE),
        (504, ErrorCode.TIMEOUT),
    ],
)
def test_seed_table_maps_status_to_code(status: int, code: ErrorCode) -> None:
    assert http_status_to_error_code(status) is code


@pytest.mark.parametrize(("status", "code"), [(405, ErrorCode.BAD_REQUEST), (413, ErrorCode.BAD_REQUEST)])
def test_other_client_errors_are_bad_request(status: int, code: ErrorCode) -> None:
    assert http_status_to_error_code(status) is code


@pytest.mark.parametrize("status", [200, 502, 599])
def test_other_statuses_are_internal_error(status: int) -> None:
    assert http_status_to_error_code(status) is ErrorCode.INTERNAL_ERROR


def test_codes_are_the_client_contract_strings() -> None:
    # The web client matches on these strings; renaming one breaks it.
    assert {code.value for code in ErrorCode} == {
        "bad_request", "unauthorized", "forbidden", "not_found", "conflict", "validation_error",
        "rate_limit_exceeded", "quota_exceeded", "internal_error", "service_unavailable", "timeout",
        "agent_error", "tool_error", "model_error", "stream_error",
    }  # fmt: skip
    assert str(ErrorCode.NOT_FOUND) == "not_found"


def test_every_code_has_a_status_that_maps_back_for_the_seed_codes() -> None:
    for code in ErrorCode:
        status = default_status_for(code)
        assert 400 <= status < 600
    for code in (ErrorCode.NOT_FOUND, ErrorCode.CONFLICT, ErrorCode.TIMEOUT, ErrorCode.SERVICE_UNAVAILABLE):
        assert http_status_to_error_code(default_status_for(code)) is code
    assert default_status_for(ErrorCode.QUOTA_EXCEEDED) == 429
    assert default_status_for(ErrorCode.MODEL_ERROR) == 502
