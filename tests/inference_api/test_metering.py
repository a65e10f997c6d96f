"""Nothing is free: the System Default is checked and priced as a named model, and every turn is charged.

Cancelled and failed turns are charged what they generated (estimated when the
model reported no usage, and marked so).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from apis.inference_api.chat import InvocationRequest
from apis.shared.auth import User
from apis.shared.catalog import ManagedModelRepository, ManagedModelService, ManagedModelUpdate
from apis.shared.providers import ModelThrottledError, StreamStop, TextDelta, UsageReport
from apis.shared.quota import CostRecord, CostRepository
from apis.shared.sessions import SessionStore
from tests.inference_api.conftest import MODEL_ID, chat, person
from tests.support.sse import parse_sse

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from apis.shared.providers import ModelEvent, ModelRequest

VISITOR = person("444444444", "vic@example.edu", "Visitor")  # no grant to the catalogue entry
ADA_USER = User("111111111", "ada@example.edu", "Ada", roles=("Faculty",))


class Chatty:
    """Streams ten words, then reports its usage (1,000 in, 10 out): $0.001050 at $1/$5 a million."""

    name = "chatty"

    def __init__(self) -> None:
        self.requests: list[ModelRequest] = []

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        self.requests.append(request)
        for n in range(10):
            yield TextDelta(f"word{n} ")
        yield StreamStop("end_turn")
        yield UsageReport(input_tokens=1000, output_tokens=10)


class FailsAfterText:
    name = "fails"

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        yield TextDelta("x" * 400)
        raise ModelThrottledError(retry_after=3)


def records(dynamodb: Any, user_id: str = "111111111") -> list[CostRecord]:
    today = datetime.now(tz=UTC).date()
    costs = CostRepository(dynamodb, summary_table="user-cost-summary", records_table="sessions-metadata")
    return costs.user_records(user_id, today, today)


def usage_of(dynamodb: Any, user_id: str = "111111111") -> Decimal:
    costs = CostRepository(dynamodb, summary_table="user-cost-summary", records_table="sessions-metadata")
    return costs.current_usage(user_id, datetime.now(tz=UTC).strftime("%Y-%m"))


def test_the_system_default_is_refused_to_a_caller_refused_it_by_name(client: TestClient, dynamodb: Any) -> None:
    for model_id in (MODEL_ID, None):
        response = chat(client, VISITOR, model_id=model_id, provider=None)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert response.json()["error"]["message"] == f"Model {MODEL_ID} is not available to you"
    assert records(dynamodb, "444444444") == []
    assert SessionStore(dynamodb, "sessions-metadata").get("s1", "444444444") is None


def test_a_disabled_default_does_not_answer(client: TestClient, dynamodb: Any, managed_model: Any) -> None:
    service = ManagedModelService(ManagedModelRepository(dynamodb, "managed-models"))
    service.update(managed_model.id, ManagedModelUpdate(enabled=False))
    response = chat(client, model_id=None, provider=None)
    assert response.status_code == 403
    assert response.json()["error"] == {**response.json()["error"], "code": "forbidden",
                                        "message": f"Model {MODEL_ID} is disabled"}  # fmt: skip


@pytest.fixture
def unpriced(dynamodb: Any, managed_model: Any) -> None:
    service = ManagedModelService(ManagedModelRepository(dynamodb, "managed-models"))
    service.update(managed_model.id, ManagedModelUpdate(input_price_per_million_tokens=Decimal(0),
                                                        output_price_per_million_tokens=Decimal(0)))  # fmt: skip


@pytest.mark.usefixtures("unpriced")
def test_a_default_without_a_price_is_refused(client: TestClient, dynamodb: Any) -> None:
    response = chat(client, model_id=None, provider=None)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["message"] == f"Model {MODEL_ID} has no price in the model catalogue; an administrator must price it"
    assert records(dynamodb) == []


@pytest.fixture
def uncatalogued(dynamodb: Any, managed_model: Any) -> None:
    ManagedModelService(ManagedModelRepository(dynamodb, "managed-models")).delete(managed_model.id)


@pytest.mark.usefixtures("uncatalogued")
def test_a_default_missing_from_the_catalogue_is_refused_not_free(client: TestClient, dynamodb: Any) -> None:
    response = chat(client, model_id=None, provider=None)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["message"] == (f"The platform's model {MODEL_ID} is not in the model catalogue; "
                                "an administrator must add it with its prices")  # fmt: skip
    assert records(dynamodb) == [] and usage_of(dynamodb) == 0


@pytest.mark.usefixtures("uncatalogued")
@pytest.mark.parametrize("settings", [{"free_model_ids": [MODEL_ID]}], indirect=True)
def test_a_default_configured_free_answers_and_is_recorded_at_zero(client: TestClient, dynamodb: Any) -> None:
    frames = parse_sse(chat(client, model_id=None, provider=None).text)
    assert frames[-1].event == "done"
    (record,) = records(dynamodb)
    assert record.cost == 0 and record.pricing.model_id == MODEL_ID and record.usage.output_tokens > 0


@pytest.mark.parametrize("model", [Chatty()])
def test_the_default_is_priced_from_its_catalogue_entry(client: TestClient, dynamodb: Any) -> None:
    frames = parse_sse(chat(client, model_id=None, provider=None).text)
    assert frames[-1].event == "done"
    (record,) = records(dynamodb)
    assert (record.cost, record.estimated, record.purpose, record.message_id) == (Decimal("0.00105"), False, "chat", 1)
    assert usage_of(dynamodb) == Decimal("0.00105")


def _started(app: FastAPI, **body: Any) -> Any:
    request = InvocationRequest.model_validate({"message": "Hello there", "session_id": "s1", "model_id": MODEL_ID,
                                                "provider": "bedrock", **body})  # fmt: skip
    return app.state.container.chat.start(ADA_USER, request)


@pytest.mark.parametrize("model", [Chatty()])
def test_a_turn_the_client_left_is_charged_what_it_generated(app: FastAPI, dynamodb: Any) -> None:
    stream = _started(app, message="q" * 400)
    frames = stream.frames()
    deltas = 0
    while deltas < 3:
        deltas += next(frames).startswith("event: content_block_delta")
    frames.close()  # what the route does when the client disconnects
    (record,) = records(dynamodb)
    # No usage report arrived: the text sent (system prompt and question) and the three words generated.
    system_tokens = -(-len(stream.request.system_prompt) // 4)
    assert record.estimated is True and record.purpose == "chat" and record.message_id == 1
    # Four characters a token, rounded up: 400 of question, 18 of answer ("word0 word1 word2 ").
    assert (record.usage.input_tokens, record.usage.output_tokens) == (system_tokens + 100, 5)
    assert record.cost == (Decimal(record.usage.input_tokens) + 5 * Decimal(record.usage.output_tokens)) / 1_000_000
    answer = SessionStore(dynamodb, "sessions-metadata").list_messages("s1", "111111111").messages[1]
    assert answer.content[0].text == "word0 word1 word2 "
    metadata = answer.metadata.model_dump(by_alias=True, exclude_none=True)
    assert metadata["costEstimated"] is True and metadata["stopReason"] == "cancelled"
    assert metadata["cost"] == float(record.cost)


@pytest.mark.parametrize("model", [FailsAfterText()])
def test_a_turn_that_failed_mid_answer_is_charged_what_it_generated(client: TestClient, dynamodb: Any) -> None:
    frames = parse_sse(chat(client).text)
    assert [frame.event for frame in frames][-2:] == ["stream_error", "done"]
    (record,) = records(dynamodb)
    assert record.estimated is True and record.usage.output_tokens == 100
    assert record.cost > 0 and usage_of(dynamodb) == record.cost


@pytest.mark.parametrize("model", [Chatty()])
def test_a_turn_refused_by_the_quota_reaches_no_model(client: TestClient, dynamodb: Any, model: Chatty) -> None:
    CostRepository(dynamodb, summary_table="user-cost-summary", records_table="sessions-metadata").record(
        CostRecord.model_validate({"userId": "111111111", "sessionId": "earlier", "messageId": 0,
                                   "timestamp": datetime.now(tz=UTC).isoformat(), "usage": {},
                                   "pricing": {"modelId": "m"}, "cost": "10"}))  # fmt: skip
    frames = parse_sse(chat(client).text)
    assert [frame.event for frame in frames][-2:] == ["quota_exceeded", "done"]
    assert model.requests == [] and len(records(dynamodb)) == 1
