"""botocore failures become platform errors by code, with the original kept as the cause."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from apis.shared.aws import (
    DependencyAccessDeniedError,
    DependencyThrottledError,
    client_config,
    client_error_code,
    from_item,
    is_conditional_check_failure,
    to_item,
    translate_aws_errors,
)
from apis.shared.errors import (
    ApisError,
    ConflictError,
    DependencyTimeoutError,
    DependencyUnavailableError,
    InternalError,
    NotFoundError,
)


def client_error(code: str, status: int = 400, **extra: Any) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}, **extra}, "Op"
    )


@pytest.mark.parametrize(
    ("raised", "expected", "status"),
    [
        (client_error("ProvisionedThroughputExceededException"), DependencyThrottledError, 503),
        (client_error("ThrottlingException"), DependencyThrottledError, 503),
        (client_error("SlowDown", 503), DependencyThrottledError, 503),
        (client_error("AccessDeniedException"), DependencyAccessDeniedError, 503),
        (client_error("UnrecognizedClientException"), DependencyAccessDeniedError, 503),
        (client_error("InternalServerError", 500), DependencyUnavailableError, 503),
        (client_error("ResourceNotFoundException"), DependencyUnavailableError, 503),
        (client_error("SomethingNew", 502), DependencyUnavailableError, 503),
        (client_error("ValidationException"), InternalError, 500),
        (ReadTimeoutError(endpoint_url="https://x"), DependencyTimeoutError, 504),
        (ConnectTimeoutError(endpoint_url="https://x"), DependencyTimeoutError, 504),
        (EndpointConnectionError(endpoint_url="https://x"), DependencyUnavailableError, 503),
        (ConnectionClosedError(endpoint_url="https://x"), DependencyUnavailableError, 503),
        (NoCredentialsError(), DependencyUnavailableError, 503),
    ],
)
def test_failures_map_by_code(raised: Exception, expected: type[ApisError], status: int) -> None:
    with pytest.raises(expected) as translated, translate_aws_errors("table: op"):
        raise raised
    assert type(translated.value) is expected
    assert translated.value.status_code == status
    assert translated.value.__cause__ is raised
    assert translated.value.detail.startswith("table: op")


def test_throttling_suggests_a_retry() -> None:
    with pytest.raises(DependencyThrottledError) as translated, translate_aws_errors("t"):
        raise client_error("ThrottlingException")
    assert translated.value.retry_after == 1


def test_failed_conditions_use_the_callers_error_or_conflict() -> None:
    with pytest.raises(ConflictError), translate_aws_errors("t"):
        raise client_error("ConditionalCheckFailedException")
    with pytest.raises(NotFoundError), translate_aws_errors("t", on_condition_failed=NotFoundError):
        raise client_error("ConditionalCheckFailedException")
    cancelled = client_error(
        "TransactionCanceledException", CancellationReasons=[{"Code": "None"}, {"Code": "ConditionalCheckFailed"}]
    )
    assert is_conditional_check_failure(cancelled)
    with pytest.raises(NotFoundError), translate_aws_errors("t", on_condition_failed=NotFoundError):
        raise cancelled


def test_a_transaction_cancelled_for_throttling_is_throttling() -> None:
    cancelled = client_error("TransactionCanceledException", CancellationReasons=[{"Code": "ThrottlingError"}])
    with pytest.raises(DependencyThrottledError), translate_aws_errors("t"):
        raise cancelled


def test_other_exceptions_pass_untouched() -> None:
    with pytest.raises(KeyError), translate_aws_errors("t"):
        raise KeyError("not ours to translate")


def test_error_code_of_a_bare_response() -> None:
    assert client_error_code(ClientError({}, "Op")) == ""


def test_client_config_bounds_timeouts_and_retries() -> None:
    config = client_config(connect_timeout=1, read_timeout=2, max_attempts=4)
    assert (config.connect_timeout, config.read_timeout) == (1, 2)
    assert config.retries == {"mode": "standard", "total_max_attempts": 4}


def test_items_round_trip_without_nones_and_floats_become_decimals() -> None:
    item = to_item({"PK": "USER#1", "cost": 0.1, "nested": {"a": 1.5, "skip": None}, "tags": ["x"], "gone": None})
    assert "gone" not in item
    assert item["cost"] == {"N": "0.1"}
    values = from_item(item)
    assert str(values["cost"]) == "0.1"
    assert values["nested"] == {"a": values["nested"]["a"]} and str(values["nested"]["a"]) == "1.5"
    assert values["tags"] == ["x"]
