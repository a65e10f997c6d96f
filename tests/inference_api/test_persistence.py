"""What a turn stores: both messages with their metadata, the session's counters and preferences, the cost."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.quota import CostRepository
from apis.shared.sessions import SessionStore
from tests.inference_api.conftest import BOB, MODEL_ID, RecordingModel, chat
from tests.support.sse import parse_sse

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@pytest.fixture
def model() -> RecordingModel:
    return RecordingModel()


def stored(dynamodb: Any) -> list[Any]:
    return SessionStore(dynamodb, "sessions-metadata").list_messages("s1", "111111111").messages


def test_both_messages_are_stored_with_metadata(client: TestClient, dynamodb: Any) -> None:
    frames = parse_sse(chat(client, message="What is 2+2?").text)
    assert frames[-1].event == "done"
    user, assistant = stored(dynamodb)
    assert user.role == "user" and user.content[0].text == "What is 2+2?"
    assert assistant.role == "assistant" and assistant.content[0].text == "Answer 1"
    metadata = assistant.metadata.model_dump(by_alias=True, exclude_none=True)
    assert metadata["tokenUsage"] == {"inputTokens": 1_000_000, "outputTokens": 200_000, "totalTokens": 1_200_000,
                                      "cacheReadInputTokens": 0, "cacheWriteInputTokens": 0}  # fmt: skip
    assert metadata["latency"]["endToEndLatency"] >= metadata["latency"]["timeToFirstToken"] >= 0
    assert metadata["modelInfo"]["modelId"] == MODEL_ID
    assert metadata["modelInfo"]["pricingSnapshot"]["inputPricePerMillionTokens"] == 1.0
    assert metadata["cost"] == 2.0  # 1M input at $1 + 0.2M output at $5
    assert metadata["attribution"]["userId"] == "111111111" and metadata["attribution"]["sessionId"] == "s1"


def test_the_session_counts_messages_and_keeps_preferences(client: TestClient, dynamodb: Any) -> None:
    chat(client)
    session = SessionStore(dynamodb, "sessions-metadata").get("s1", "111111111")
    assert session.message_count == 2 and session.preferences.last_model == MODEL_ID


def test_the_cost_is_recorded_for_the_quota(client: TestClient, dynamodb: Any) -> None:
    chat(client)
    costs = CostRepository(dynamodb, summary_table="user-cost-summary", records_table="sessions-metadata")
    month = datetime.now(tz=UTC).strftime("%Y-%m")
    summary = costs.summary("111111111", month)
    assert float(summary.total_cost) == 2.0 and summary.total_requests == 1
    assert float(costs.current_usage("111111111", month)) == 2.0


def test_history_is_sent_on_the_next_turn(client: TestClient, model: RecordingModel) -> None:
    chat(client, message="First question")
    chat(client, message="Second question")
    second = model.requests[1]
    roles = [turn.role for turn in second.messages]
    assert roles == ["user", "assistant", "user"]
    assert second.messages[0].content[0].text == "First question"
    assert second.messages[1].content[0].text == "Answer 1"
    assert second.messages[2].content[-1].text == "Second question"
    assert second.caching is True  # the managed model supports prompt caching


def test_another_users_session_is_separate(client: TestClient, dynamodb: Any, model: RecordingModel) -> None:
    chat(client, message="Ada's secret")
    chat(client, BOB, message="Bob asks")
    assert [turn.role for turn in model.requests[1].messages] == ["user"]
    assert len(stored(dynamodb)) == 2


def test_the_system_default_is_priced_as_its_catalogue_entry(client: TestClient, dynamodb: Any) -> None:
    frames = parse_sse(chat(client, model_id=None, provider=None).text)
    assert frames[-1].event == "done"
    costs = CostRepository(dynamodb, summary_table="user-cost-summary", records_table="sessions-metadata")
    assert float(costs.current_usage("111111111", datetime.now(tz=UTC).strftime("%Y-%m"))) == 2.0


@pytest.mark.parametrize("settings", [{"max_history_messages": 2}], indirect=True)
def test_history_is_the_last_messages_only(client: TestClient, model: RecordingModel) -> None:
    for n in range(3):
        chat(client, message=f"Question {n}")
    sent = model.requests[-1].messages
    assert [turn.role for turn in sent] == ["user", "assistant", "user"]
    assert sent[0].content[0].text == "Question 1" and sent[1].content[0].text == "Answer 2"
