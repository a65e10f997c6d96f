from __future__ import annotations

import pytest

from apis.shared.errors import ErrorCode, http_status_to_error_code, kind_for_code


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
        status = kind_for_code(code).status
        assert 400 <= status < 600
    for code in (ErrorCode.NOT_FOUND, ErrorCode.CONFLICT, ErrorCode.TIMEOUT, ErrorCode.SERVICE_UNAVAILABLE):
        assert http_status_to_error_code(kind_for_code(code).status) is code
    assert kind_for_code(ErrorCode.QUOTA_EXCEEDED).status == 429
    assert kind_for_code(ErrorCode.MODEL_ERROR).status == 502


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_every_platform_error_takes_its_code_and_status_from_its_row_of_the_table() -> None:
    import importlib
    import pkgutil

    import apis.shared
    from apis.shared.errors import ApisError

    for module in pkgutil.walk_packages(apis.shared.__path__, "apis.shared."):
        importlib.import_module(module.name)
    errors = [ApisError, *_subclasses(ApisError)]
    assert len(errors) > 30
    for error in errors:
        assert (error.code, error.status_code) == (error.kind.code, error.kind.status), error


def test_a_status_or_code_set_apart_from_the_table_is_refused() -> None:
    from apis.shared.errors import ApisError, ErrorKind

    with pytest.raises(TypeError, match=r"Teapot sets status_code: name its kind instead"):
        type("Teapot", (ApisError,), {"status_code": 418})
    with pytest.raises(TypeError, match=r"Renamed sets code: name its kind instead"):
        type("Renamed", (ApisError,), {"code": ErrorCode.NOT_FOUND})
    allowed = type("Missing", (ApisError,), {"kind": ErrorKind.NOT_FOUND})
    assert (allowed.code, allowed.status_code) == (ErrorCode.NOT_FOUND, 404)


def test_each_status_is_answered_by_one_row_and_each_code_has_a_general_row() -> None:
    from apis.shared.errors import ErrorKind, kind_for_code

    answering = [kind.status for kind in ErrorKind if kind.value.answers_status]
    assert len(answering) == len(set(answering))
    for code in ErrorCode:
        assert kind_for_code(code).code is code
    assert (ErrorKind.STORAGE_QUOTA_EXCEEDED.code, ErrorKind.STORAGE_QUOTA_EXCEEDED.status) == ("quota_exceeded", 403)
    assert (ErrorKind.QUOTA_EXCEEDED.code, ErrorKind.QUOTA_EXCEEDED.status) == ("quota_exceeded", 429)


@pytest.mark.parametrize(
    ("code", "general"),
    [
        (ErrorCode.BAD_REQUEST, "BAD_REQUEST"),
        (ErrorCode.RATE_LIMIT_EXCEEDED, "RATE_LIMITED"),
        (ErrorCode.QUOTA_EXCEEDED, "QUOTA_EXCEEDED"),
        (ErrorCode.SERVICE_UNAVAILABLE, "UNAVAILABLE"),
        (ErrorCode.TIMEOUT, "TIMEOUT"),
        (ErrorCode.MODEL_ERROR, "MODEL"),
        (ErrorCode.INTERNAL_ERROR, "INTERNAL"),
    ],
)
def test_a_code_stands_for_its_general_row_not_a_special_one(code: ErrorCode, general: str) -> None:
    from apis.shared.errors import ErrorKind

    assert kind_for_code(code) is ErrorKind[general]


def test_errors_a_retry_may_cure_are_recoverable_as_in_1_x() -> None:
    from apis.shared.errors import ErrorKind

    recoverable = {kind.name for kind in ErrorKind if kind.value.recoverable}
    assert recoverable == {
        "RATE_LIMITED", "QUOTA_EXCEEDED", "UNAVAILABLE", "TIMEOUT", "MODEL_THROTTLED", "MODEL_TIMEOUT",
        "MODEL_UNAVAILABLE",
    }  # fmt: skip
    # 1.x derived it from the status: 429, 503 and 504 were recoverable.
    assert all(kind.status in (429, 503, 504) for kind in ErrorKind if kind.value.recoverable)
    assert all(not kind.value.recoverable for kind in ErrorKind if kind.status not in (429, 503, 504))
