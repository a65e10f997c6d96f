"""``batch_get_all``: every key asked, 100 at a time; unprocessed keys asked again, then a throttled error."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from apis.shared.aws import DependencyThrottledError, batch_get_all, to_item
from apis.shared.errors import DependencyUnavailableError
from tests.support.aws import dynamodb_client, mocked_aws


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Any:
    with mocked_aws(monkeypatch):
        yield dynamodb_client()


def key(number: int) -> dict[str, Any]:
    return to_item({"PK": f"ITEM#{number}", "SK": "A"})


def item(number: int) -> dict[str, Any]:
    return {**key(number), "value": {"N": str(number)}}


def request(*numbers: int, consistent: bool = True) -> dict[str, Any]:
    return {"RequestItems": {"things": {"Keys": [key(n) for n in numbers], "ConsistentRead": consistent}}}


def unprocessed(*numbers: int) -> dict[str, Any]:
    return {"UnprocessedKeys": {"things": {"Keys": [key(n) for n in numbers], "ConsistentRead": True}}}


def test_unprocessed_keys_are_asked_again_until_answered(client: Any) -> None:
    sleeps: list[float] = []
    with Stubber(client) as stubber:
        stubber.add_response("batch_get_item", {"Responses": {"things": [item(1)]}, **unprocessed(2, 3)},
                             request(1, 2, 3))  # fmt: skip
        stubber.add_response("batch_get_item", {"Responses": {"things": [item(3)]}, **unprocessed(2)}, request(2, 3))
        stubber.add_response("batch_get_item", {"Responses": {"things": [item(2)]}}, request(2))
        found = batch_get_all(client, "things", [key(1), key(2), key(3), key(1)], consistent=True, sleep=sleeps.append)
        stubber.assert_no_pending_responses()
    assert found == [item(1), item(3), item(2)]
    # A jittered pause (0.01-0.05 s) doubled at each attempt: 2x after the first, 4x after the second.
    assert len(sleeps) == 2
    assert 0.02 <= sleeps[0] <= 0.1 and 0.04 <= sleeps[1] <= 0.2


def test_keys_still_unprocessed_after_the_last_attempt_are_a_throttled_error(client: Any) -> None:
    sleeps: list[float] = []
    with Stubber(client) as stubber:
        for _ in range(3):
            stubber.add_response("batch_get_item", {"Responses": {"things": []}, **unprocessed(7)}, request(7))
        with pytest.raises(DependencyThrottledError) as raised:
            batch_get_all(client, "things", [key(7)], consistent=True, sleep=sleeps.append, attempts=3,
                          what="things: batch_get_item (test)")  # fmt: skip
        stubber.assert_no_pending_responses()
    error = raised.value
    assert (error.status_code, error.code.value, error.retry_after) == (503, "service_unavailable", 1)
    assert error.detail == "things: batch_get_item (test) left keys unprocessed"
    assert len(sleeps) == 2  # none after the last attempt


def test_keys_are_asked_100_at_a_time_and_a_failure_is_typed(client: Any) -> None:
    with Stubber(client) as stubber:
        stubber.add_response("batch_get_item", {"Responses": {"things": []}}, request(*range(100), consistent=False))
        stubber.add_response("batch_get_item", {"Responses": {"things": [item(100)]}}, request(100, consistent=False))
        assert batch_get_all(client, "things", [key(n) for n in range(101)], consistent=False) == [item(100)]
        stubber.assert_no_pending_responses()
        stubber.add_client_error("batch_get_item", "InternalServerError", http_status_code=500)
        with pytest.raises(DependencyUnavailableError) as raised:
            batch_get_all(client, "things", [key(1)], consistent=True)
    assert raised.value.detail == "things: batch_get_item: InternalServerError"
    assert batch_get_all(client, "things", [], consistent=True) == []
