"""``POST /chat/generate-title``: a short title stored on the session, metered like every model call.

The title model is resolved through the catalogue, the caller's quota is checked
before and the call charged to them after. "New Conversation" only when the
model is busy, down or too slow; every other failure is an error with its status.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from apis.app_api.chat.titles import clean_title
from apis.shared.catalog import ManagedModelCreate, ManagedModelRepository, ManagedModelService, ProviderKind
from apis.shared.providers import (
    ModelAccessDeniedError,
    ModelRequestInvalidError,
    ModelThrottledError,
    ModelTimeoutError,
    ModelUnavailableError,
    StreamStop,
    TextDelta,
    UsageReport,
)
from apis.shared.quota import (
    CostRecord,
    CostRepository,
    TokenUsage,
)
from tests.app_api.conftest import person
from tests.support.faults import FAULTS, inject_fault
from tests.support.quota import default_tier, spent

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi.testclient import TestClient

    from apis.shared.providers import ModelEvent, ModelRequest

ADA = person("111111111", "ada@example.edu")
VISITOR = person("444444444", "vic@example.edu", "Visitor")
TITLE_MODEL = "us.amazon.nova-micro-v1:0"


class ScriptedModel:
    """Answers with ``answer``, then reports 100 tokens in and 10 out: $0.000085 at $0.35/$5 a million."""

    name = "scripted"

    def __init__(self, answer: str, *, usage: bool = True) -> None:
        self.answer = answer
        self.usage = usage
        self.requests: list[ModelRequest] = []

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        self.requests.append(request)
        yield TextDelta(self.answer)
        yield StreamStop("end_turn")
        if self.usage:
            yield UsageReport(input_tokens=100, output_tokens=10)


class FailingModel:
    name = "failing"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        raise self.error
        yield  # pragma: no cover - makes this a generator


@pytest.fixture
def title_model(dynamodb: Any) -> Any:
    """The title model in the catalogue, open to the JWT role Faculty, priced."""
    return ManagedModelService(ManagedModelRepository(dynamodb, "managed-models")).create(
        ManagedModelCreate(
            model_id=TITLE_MODEL,
            model_name="Nova Micro",
            provider=ProviderKind.BEDROCK,
            input_modalities=["TEXT"],
            output_modalities=["TEXT"],
            max_input_tokens=128_000,
            max_output_tokens=5000,
            available_to_roles=["Faculty"],
            input_price_per_million_tokens=Decimal("0.35"),
            output_price_per_million_tokens=Decimal(5),
        )
    )


def records(dynamodb: Any, user_id: str = "111111111") -> list[CostRecord]:
    today = datetime.now(tz=UTC).date()
    costs = CostRepository(dynamodb, summary_table="user-cost-summary", records_table="sessions-metadata")
    return costs.user_records(user_id, today, today)


def generate(client: TestClient, headers: dict[str, str] = ADA, text: str = "Why are there tides?") -> Any:
    return client.post("/chat/generate-title", json={"session_id": "s1", "input": text}, headers=headers)


@pytest.mark.usefixtures("title_model")
@pytest.mark.parametrize("model", [ScriptedModel('"Tidal forces explained."\nextra line')])
def test_the_title_is_cleaned_returned_stored_and_charged(
    client: TestClient, model: ScriptedModel, dynamodb: Any
) -> None:
    response = generate(client)
    assert response.status_code == 200
    assert response.json() == {"title": "Tidal forces explained", "session_id": "s1"}
    assert client.get("/sessions/s1/metadata", headers=ADA).json()["title"] == "Tidal forces explained"
    (request,) = model.requests
    assert request.model_id == TITLE_MODEL and request.max_tokens == 50
    (record,) = records(dynamodb)
    assert (record.purpose, record.session_id, record.estimated) == ("title", "s1", False)
    assert record.usage == TokenUsage(input_tokens=100, output_tokens=10) and record.cost == Decimal("0.000085")


@pytest.mark.usefixtures("title_model")
@pytest.mark.parametrize("model", [ScriptedModel("A title", usage=False)])
def test_a_title_without_a_usage_report_is_charged_an_estimate(client: TestClient, dynamodb: Any) -> None:
    assert generate(client).status_code == 200
    (record,) = records(dynamodb)
    assert record.estimated is True and record.usage.output_tokens == 2  # "A title": 7 characters


@pytest.mark.usefixtures("title_model")
@pytest.mark.parametrize(
    "model",
    [FailingModel(ModelThrottledError(retry_after=5)), FailingModel(ModelUnavailableError()),
     FailingModel(ModelTimeoutError())],
    ids=["throttled", "unavailable", "timeout"],
)  # fmt: skip
def test_a_busy_down_or_slow_model_gives_the_fallback_title(client: TestClient, dynamodb: Any) -> None:
    response = generate(client)
    assert response.status_code == 200 and response.json()["title"] == "New Conversation"
    assert records(dynamodb) == []  # nothing generated, nothing charged


@pytest.mark.usefixtures("title_model")
@pytest.mark.parametrize(
    ("model", "status", "code"),
    [
        (FailingModel(ModelAccessDeniedError(detail="AccessDeniedException: model access not enabled")), 502,
         "model_error"),
        (FailingModel(ModelRequestInvalidError(detail="ValidationException: The provided model identifier is invalid")),
         400, "bad_request"),
    ],
    ids=["access_denied", "wrong_model_id"],
)  # fmt: skip
def test_other_model_failures_are_errors_with_their_status(
    client: TestClient, status: int, code: str, dynamodb: Any
) -> None:
    response = generate(client)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert client.get("/sessions/s1/metadata", headers=ADA).status_code == 404  # no title was stored


@pytest.mark.usefixtures("title_model")
def test_a_title_model_the_caller_may_not_use_is_403(client: TestClient, dynamodb: Any) -> None:
    response = generate(client, VISITOR)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == f"Model {TITLE_MODEL} is not available to you"
    assert records(dynamodb, "444444444") == []


def test_a_title_model_missing_from_the_catalogue_is_503(client: TestClient) -> None:
    response = generate(client)
    assert response.status_code == 503 and response.json()["error"]["code"] == "service_unavailable"
    message = f"The platform's model {TITLE_MODEL} is not in the model catalogue; an administrator must add it"
    assert response.json()["error"]["message"] == f"{message} with its prices"


@pytest.mark.usefixtures("title_model")
@pytest.mark.parametrize("model", [ScriptedModel("Never asked")])
def test_an_exhausted_quota_is_429_and_reaches_no_model(
    client: TestClient, dynamodb: Any, model: ScriptedModel
) -> None:
    default_tier(dynamodb, 1)
    spent(dynamodb, "111111111", 1)
    response = generate(client)
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded" and error["message"].startswith("You have reached your usage quota.")
    assert model.requests == []


def test_titles_are_one_short_line() -> None:
    assert clean_title("  **Title**  ") == "Title"
    long = clean_title("word " * 30)
    assert len(long) <= 50 and long.endswith("…")
    assert clean_title("\n\n") == ""


@pytest.mark.usefixtures("title_model")
def test_a_storage_failure_is_5xx(client: TestClient, dynamodb: Any) -> None:
    fault = FAULTS[0]
    with inject_fault(dynamodb, "GetItem", fault):
        response = generate(client)
    assert response.status_code == fault.status and response.json()["error"]["code"] == fault.code


def test_bad_input_is_422_in_the_envelope(client: TestClient) -> None:
    response = client.post("/chat/generate-title", json={"session_id": "s1"}, headers=ADA)
    assert response.status_code == 422 and response.json()["error"]["field"] == "body.input"


@pytest.mark.usefixtures("title_model")
@pytest.mark.parametrize("model", [ScriptedModel("A title")])
def test_a_session_id_outside_the_id_rule_is_422_and_calls_nothing(
    client: TestClient, model: ScriptedModel, dynamodb: Any
) -> None:
    response = client.post("/chat/generate-title", json={"session_id": "s1#0001", "input": "Tides?"}, headers=ADA)
    assert response.status_code == 422 and response.json()["error"]["field"] == "body.session_id"
    assert model.requests == [] and records(dynamodb) == []


@pytest.mark.usefixtures("title_model")
@pytest.mark.parametrize("model", [ScriptedModel("A title")])
def test_one_users_titles_in_a_row_are_each_answered_and_charged(client: TestClient, dynamodb: Any) -> None:
    # A title's cost bound has nine decimal places: its reservation once left 0E-9 behind, and the
    # next title of the user failed on the embedded endpoint.
    default_tier(dynamodb, 10)
    for _ in range(3):
        response = generate(client)
        assert response.status_code == 200, response.text
    assert [record.cost for record in records(dynamodb)] == [Decimal("0.000085")] * 3
