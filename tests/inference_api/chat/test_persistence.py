"""Persistence alone: the question with its files' marker and the session's preferences, the answer and its metadata."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from apis.inference_api.chat.persistence import TurnPersistence, answer_metadata
from apis.shared.metering import Charge
from apis.shared.quota import PricingSnapshot, TokenUsage
from apis.shared.sessions import Citation, SessionService, SessionStore
from tests.inference_api.chat.conftest import ADA
from tests.inference_api.conftest import MODEL_ID

PRICING = PricingSnapshot(
    model_id=MODEL_ID,
    model_name="Claude Haiku 4.5",
    provider="bedrock",
    input_price_per_million_tokens=Decimal(1),
    output_price_per_million_tokens=Decimal(5),
)
CITATION = Citation(assistant_id="ast-1", document_id="doc-1", file_name="syllabus.pdf", text="Fridays.")
WHEN = "2025-01-02T03:04:05.000Z"


@pytest.fixture
def store(dynamodb: Any) -> SessionStore:
    return SessionStore(dynamodb, "sessions-metadata")


@pytest.fixture
def persistence(store: SessionStore) -> TurnPersistence:
    return TurnPersistence(sessions=SessionService(store), session_store=store)


def test_the_question_is_stored_with_its_files_marker_after_the_preferences(
    persistence: TurnPersistence, store: SessionStore
) -> None:
    index = persistence.store_question("s1", ADA.user_id, text="Read these", filenames=("a.png", "notes.csv"),
                                       last_model=MODEL_ID, assistant_id="ast-1")  # fmt: skip
    assert index == 0
    session = store.get("s1", ADA.user_id)
    assert session is not None and session.preferences is not None
    assert (session.preferences.last_model, session.preferences.assistant_id) == (MODEL_ID, "ast-1")
    (message,) = store.list_messages("s1", ADA.user_id).messages
    assert (message.role, message.content[0].text) == ("user", "Read these\n\n[Attached files: a.png, notes.csv]")


def test_a_question_without_files_is_stored_as_typed(persistence: TurnPersistence, store: SessionStore) -> None:
    persistence.store_question("s1", ADA.user_id, text="Hi", filenames=(), last_model=None, assistant_id=None)
    assert store.list_messages("s1", ADA.user_id).messages[0].content[0].text == "Hi"


def test_the_answer_follows_the_question_with_its_metadata(persistence: TurnPersistence, store: SessionStore) -> None:
    persistence.store_question("s1", ADA.user_id, text="Hi", filenames=(), last_model=None, assistant_id=None)
    metadata = answer_metadata(charge=None, pricing=PRICING, user_id=ADA.user_id, session_id="s1", timestamp=WHEN,
                               stop_reason="end_turn")  # fmt: skip
    index = persistence.store_answer("s1", ADA.user_id, text="Hello", timestamp=WHEN, metadata=metadata)
    assert index == 1
    answer = store.list_messages("s1", ADA.user_id).messages[1]
    assert (answer.role, answer.content[0].text) == ("assistant", "Hello")
    assert answer.metadata is not None and answer.metadata.model_extra == {"stopReason": "end_turn"}


def test_a_reported_charge_is_the_answers_usage_cost_and_prices() -> None:
    usage = TokenUsage(input_tokens=1000, output_tokens=200, cache_read_input_tokens=10)
    charge = Charge(usage=usage, pricing=PRICING, cost=Decimal("0.002"), cache_savings=Decimal(0), estimated=False)
    metadata = answer_metadata(charge=charge, pricing=PRICING, user_id=ADA.user_id, session_id="s1", timestamp=WHEN,
                               stop_reason="end_turn", latency=(120, 900), citations=[CITATION])  # fmt: skip
    assert metadata.model_dump(by_alias=True, exclude_none=True, mode="json") == {
        "latency": {"timeToFirstToken": 120, "endToEndLatency": 900},
        "tokenUsage": {"inputTokens": 1000, "outputTokens": 200, "totalTokens": 1210, "cacheReadInputTokens": 10,
                       "cacheWriteInputTokens": 0},
        "modelInfo": {"modelId": MODEL_ID, "modelName": "Claude Haiku 4.5", "provider": "bedrock",
                      "pricingSnapshot": PRICING.model_dump(mode="json", by_alias=True)},
        "attribution": {"userId": ADA.user_id, "sessionId": "s1", "timestamp": WHEN},
        "cost": 0.002,
        "citations": [CITATION.model_dump(by_alias=True, mode="json")],
        "stopReason": "end_turn",
    }  # fmt: skip


def test_an_estimated_charge_is_marked_and_nothing_charged_has_no_usage_or_cost() -> None:
    usage = TokenUsage(input_tokens=6, output_tokens=5)
    estimate = Charge(usage=usage, pricing=PRICING, cost=Decimal("0.000031"), cache_savings=Decimal(0), estimated=True)
    cut = answer_metadata(charge=estimate, pricing=PRICING, user_id=ADA.user_id, session_id="s1", timestamp=WHEN,
                          stop_reason="cancelled")  # fmt: skip
    assert cut.model_extra == {"stopReason": "cancelled", "costEstimated": True}
    assert (cut.cost, cut.latency, cut.citations) == (0.000031, None, None)
    nothing = answer_metadata(charge=None, pricing=PRICING, user_id=ADA.user_id, session_id="s1", timestamp=WHEN,
                              stop_reason="error")  # fmt: skip
    assert (nothing.token_usage, nothing.cost, nothing.model_extra) == (None, None, {"stopReason": "error"})
    assert nothing.model_info is not None and nothing.model_info.model_id == MODEL_ID
