"""``POST /invocations`` streams what the web client parses: every frame named, sequences whole, ``done`` last."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.inference_api.conftest import ADA, MODEL_ID, chat, person
from tests.support.sse import parse_sse

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

LIFECYCLE = ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_stop"]


def names_of(frames: list[Any]) -> list[str]:
    return [frame.event for frame in frames]


def assert_client_parses(frames: list[Any]) -> None:
    """What the client's stream parser requires of a whole stream."""
    assert frames and all(frame.event for frame in frames), "an unnamed frame breaks the client's parser"
    assert frames[-1].event == "done" and frames[-1].data == {}
    started: set[int] = set()
    for frame in frames:
        data = frame.data
        if frame.event == "message_start":
            assert data["role"] in ("user", "assistant")
        elif frame.event == "content_block_start":
            assert data["contentBlockIndex"] not in started
            started.add(data["contentBlockIndex"])
        elif frame.event == "content_block_delta":
            assert isinstance(data.get("text"), str) and data["type"] == "text"
        elif frame.event == "content_block_stop":
            assert data["contentBlockIndex"] in started
        elif frame.event == "message_stop":
            assert isinstance(data["stopReason"], str) and data["stopReason"]


def test_a_turn_streams_the_whole_sequence(client: TestClient) -> None:
    response = chat(client)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-session-id"] == "s1" and response.headers["cache-control"] == "no-cache"
    frames = parse_sse(response.text)
    assert_client_parses(frames)
    names = names_of(frames)
    assert names[:3] == LIFECYCLE[:3]
    # The model's own usage after its message, then the turn's total with its cost, as the seed sends them.
    assert names[-5:] == ["content_block_stop", "message_stop", "metadata", "metadata", "done"]
    metadata = [frame.data for frame in frames if frame.event == "metadata"][-1]
    assert set(metadata["usage"]) >= {"inputTokens", "outputTokens", "totalTokens"}
    assert metadata["metrics"]["latencyMs"] >= 0 and "timeToFirstByteMs" in metadata["metrics"]
    assert metadata["cost"] > 0
    text = "".join(frame.data["text"] for frame in frames if frame.event == "content_block_delta")
    assert text.strip()


def test_the_system_default_model_is_model_id_null(client: TestClient) -> None:
    frames = parse_sse(chat(client, model_id=None, provider=None).text)
    assert_client_parses(frames)
    assert "message_stop" in names_of(frames)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"model_id": "acme.unknown-model"}, 400, "bad_request"),
        ({"provider": "openai"}, 400, "bad_request"),
        ({"message": ""}, 422, "validation_error"),
        ({"session_id": None}, 422, "validation_error"),
    ],
)
def test_refusals_before_the_stream_are_envelopes_with_a_message(
    client: TestClient, body: dict[str, Any], status: int, code: str
) -> None:
    response = chat(client, **body)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["message"]  # the client shows error.message


def test_a_model_the_caller_may_not_use_is_403(client: TestClient) -> None:
    outsider = person("333333333", "eve@example.edu", "Visitor")
    response = chat(client, outsider, model_id=MODEL_ID)
    assert response.status_code == 403 and response.json()["error"]["message"]


def test_no_token_is_401_with_a_message(client: TestClient) -> None:
    response = client.post("/invocations", json={"message": "hi", "session_id": "s1"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] and response.headers["www-authenticate"] == "Bearer"


def test_the_route_is_in_the_schema_as_an_event_stream(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/invocations"]["post"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert "qualifier" in {p["name"] for p in operation["parameters"]}


def test_every_request_field_the_client_sends_is_accepted(client: TestClient) -> None:
    response = chat(client, ADA, enabled_tools=["web_search"], file_upload_ids=[], temperature=0.2, max_tokens=100)
    assert response.status_code == 200, response.text
    assert names_of(parse_sse(response.text))[-1] == "done"
