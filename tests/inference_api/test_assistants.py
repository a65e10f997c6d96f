"""``assistant_id``: access, the session rules, shares marked, knowledge-base search, citations, instructions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from apis.shared.assistants import AssistantRepository, AssistantService, Chunk, CreateAssistantRequest
from tests.inference_api.conftest import ADA, EMPLOYEE, SIGNING_KEY, RecordingModel, chat
from tests.support.sse import parse_sse
from tests.support.tokens import issue

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def bob(**claims: Any) -> dict[str, str]:
    token = issue(SIGNING_KEY, **{EMPLOYEE: "222222222", "email": "bob@example.edu", "roles": ["Faculty"], **claims})
    return {"Authorization": f"Bearer {token}"}


# Shares are matched on an email the identity provider vouches for.
BOB = bob(email_verified=True)


@pytest.fixture
def model() -> RecordingModel:
    return RecordingModel()


@pytest.fixture
def assistant(dynamodb: Any, knowledge_base: Any) -> Any:
    service = AssistantService(AssistantRepository(dynamodb, "assistants"))
    created = service.create("111111111", "Ada", CreateAssistantRequest(
        name="Geo", instructions="Answer like a geographer.", visibility="SHARED"))  # fmt: skip
    knowledge_base.index(created.assistant_id, [
        Chunk("DOC-1", 0, "Lake Titicaca lies between Peru and Bolivia.", "lakes.md"),
        Chunk("DOC-2", 0, "Lake Baikal is the deepest lake in Siberia.", "lakes2.md"),
    ])  # fmt: skip
    return created


def test_citations_one_per_chunk_then_the_grounded_answer(
    client: TestClient, assistant: Any, model: RecordingModel
) -> None:
    frames = parse_sse(chat(client, message="Tell me about Lake Titicaca", assistant_id=assistant.assistant_id).text)
    citations = [frame.data for frame in frames if frame.event == "citation"]
    assert citations and all(set(c) == {"assistantId", "documentId", "fileName", "text"} for c in citations)
    assert citations[0] == {"assistantId": assistant.assistant_id, "documentId": "DOC-1", "fileName": "lakes.md",
                            "text": "Lake Titicaca lies between Peru and Bolivia."}  # fmt: skip
    names = [frame.event for frame in frames]
    assert names.index("citation") < names.index("message_start") and names[-1] == "done"
    request = model.requests[0]
    assert "## Assistant-Specific Instructions" in request.system_prompt
    assert "Answer like a geographer." in request.system_prompt
    assert "Peru and Bolivia" in request.messages[-1].content[-1].text


def test_a_shared_user_may_chat_and_the_share_is_marked(client: TestClient, assistant: Any, dynamodb: Any) -> None:
    repository = AssistantRepository(dynamodb, "assistants")
    repository.add_shares(assistant.assistant_id, ["bob@example.edu"])
    response = chat(client, BOB, session_id="b1", message="Baikal?", assistant_id=assistant.assistant_id)
    assert response.status_code == 200
    assert repository.share_of(assistant.assistant_id, "bob@example.edu")["firstInteracted"] is True


@pytest.mark.parametrize("claims", [{}, {"email_verified": False}], ids=["no-flag", "unverified"])
def test_a_share_is_not_reached_with_an_unverified_email(
    client: TestClient, assistant: Any, dynamodb: Any, claims: dict[str, Any]
) -> None:
    repository = AssistantRepository(dynamodb, "assistants")
    repository.add_shares(assistant.assistant_id, ["bob@example.edu"])
    response = chat(client, bob(**claims), session_id="b1", message="Baikal?", assistant_id=assistant.assistant_id)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert repository.share_of(assistant.assistant_id, "bob@example.edu").get("firstInteracted", False) is False


def test_access_is_404_for_missing_and_403_for_private(client: TestClient, assistant: Any, dynamodb: Any) -> None:
    assert chat(client, assistant_id="ast-missing").status_code == 404
    denied = chat(client, BOB, session_id="b1", assistant_id=assistant.assistant_id)
    assert denied.status_code == 403 and denied.json()["error"]["message"]


def test_the_session_and_assistant_must_agree(client: TestClient, assistant: Any, dynamodb: Any) -> None:
    chat(client, session_id="plain", message="hello")  # a conversation without an assistant
    joined = chat(client, session_id="plain", assistant_id=assistant.assistant_id)
    assert joined.status_code == 400 and joined.json()["error"]["field"] == "assistant_id"
    chat(client, session_id="geo", assistant_id=assistant.assistant_id)
    other = AssistantService(AssistantRepository(dynamodb, "assistants")).create(
        "111111111", "Ada", CreateAssistantRequest(name="Other"))  # fmt: skip
    switched = chat(client, session_id="geo", assistant_id=other.assistant_id)
    assert switched.status_code == 400
    again = chat(client, ADA, session_id="geo", assistant_id=assistant.assistant_id)
    assert again.status_code == 200
