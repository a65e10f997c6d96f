"""Bedrock failures through the real provider against a fake endpoint, storage failures, and disconnects."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from fastapi.testclient import TestClient

from apis.inference_api.chat.streaming import frames_in_threads
from apis.shared.auth import User
from apis.shared.providers import BedrockModelProvider, ModelRequest, StreamStop, TextDelta
from apis.shared.sessions import SessionStore
from tests.inference_api.conftest import chat, make_app
from tests.support.bedrock_fake import answer_events, fake_bedrock, stream_exception
from tests.support.faults import FAULTS, inject_fault
from tests.support.sse import parse_sse

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apis.shared.providers import ModelEvent

TAIL = ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_stop",
        "stream_error", "done"]  # fmt: skip


@pytest.fixture
def bedrock_app(settings: Any, dynamodb: Any, s3: Any, managed_model: Any, quotas: Any, knowledge_base: Any):
    with fake_bedrock() as fake:
        runtime = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=fake.url,
                               config=Config(retries={"max_attempts": 1}, read_timeout=2))  # fmt: skip
        app = make_app(settings, dynamodb, s3, knowledge_base, BedrockModelProvider(runtime))
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, fake


@pytest.mark.parametrize(
    ("error_type", "status", "code", "recoverable"),
    [
        ("ThrottlingException", 429, "rate_limit_exceeded", True),
        ("AccessDeniedException", 403, "model_error", False),
        ("ValidationException", 400, "bad_request", False),
        ("ModelTimeoutException", 408, "timeout", True),
        ("ServiceUnavailableException", 503, "service_unavailable", True),
    ],
)
def test_a_bedrock_error_is_the_conversational_sequence(
    bedrock_app: Any, dynamodb: Any, error_type: str, status: int, code: str, recoverable: bool
) -> None:
    client, fake = bedrock_app
    fake.reply = ("error", status, error_type, f"injected {error_type}")
    response = chat(client)
    assert response.status_code == 200
    frames = parse_sse(response.text)
    assert [f.event for f in frames] == TAIL
    error = frames[5].data
    assert error["type"] == "stream_error" and error["code"] == code and error["recoverable"] is recoverable
    assert error["metadata"] == {"session_id": "s1"}
    assert error.get("retry_after") == (5 if error_type == "ThrottlingException" else None)
    assert frames[2].data["text"] == error["message"]
    messages = SessionStore(dynamodb, "sessions-metadata").list_messages("s1", "111111111").messages
    assert [m.role for m in messages] == ["user", "assistant"]  # the conversation stays whole


def test_an_error_inside_the_stream_follows_the_partial_answer(bedrock_app: Any) -> None:
    client, fake = bedrock_app
    fake.reply = ("stream", [*answer_events("Partial")[:2], stream_exception("throttlingException", "slow down")])
    frames = parse_sse(chat(client).text)
    names = [f.event for f in frames]
    assert names[:3] == ["message_start", "content_block_start", "content_block_delta"]
    assert names[-len(TAIL) :] == TAIL and frames[-2].data["code"] == "rate_limit_exceeded"


def test_the_request_bedrock_gets(bedrock_app: Any) -> None:
    client, fake = bedrock_app
    fake.reply = ("stream", answer_events("Hello", " world"))
    frames = parse_sse(chat(client, message="Hi", temperature=0.3).text)
    assert "".join(f.data["text"] for f in frames if f.event == "content_block_delta") == "Hello world"
    (request,) = fake.requests
    assert request["path"].endswith("/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream")
    body = request["body"]
    assert body["messages"][-1]["content"][-1]["text"] == "Hi"
    assert body["inferenceConfig"]["temperature"] == 0.3
    assert any("cachePoint" in block for block in body["system"])  # the managed model supports caching


def test_a_storage_failure_before_the_stream_is_an_envelope(client: TestClient, dynamodb: Any) -> None:
    for fault in FAULTS:
        with inject_fault(dynamodb, "TransactWriteItems", fault):
            response = chat(client)
        assert response.status_code == fault.status and response.json()["error"]["code"] == fault.code
        assert response.json()["error"]["message"]


class Endless:
    name = "endless"

    def __init__(self) -> None:
        self.closed = False

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        try:
            yield TextDelta("Once upon a time")
            while True:
                yield TextDelta(" and then")
        finally:
            self.closed = True
        yield StreamStop("end_turn")  # pragma: no cover - never reached


def test_a_disconnect_stops_generation_and_keeps_what_was_said(app: Any, dynamodb: Any) -> None:
    model = Endless()
    app.state.container.chat.provider = model
    from apis.inference_api.chat.models import InvocationRequest

    user = User("111111111", "ada@example.edu", "Ada", ("Faculty",))
    stream = app.state.container.chat.start(user, InvocationRequest(session_id="s1", message="Tell a story"))

    async def read_then_leave() -> list[str]:
        frames = frames_in_threads(stream.frames())
        seen = [await anext(frames) for _ in range(5)]
        await frames.aclose()  # what Starlette does when the client goes away
        return seen

    seen = asyncio.run(read_then_leave())
    assert any("Once upon a time" in frame for frame in seen)
    assert model.closed, "the model stream must stop when the client leaves"
    messages = SessionStore(dynamodb, "sessions-metadata").list_messages("s1", "111111111").messages
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].content[0].text.startswith("Once upon a time")
    assert messages[1].metadata.model_extra["stopReason"] == "cancelled"


class FailsStorageAfterAnswering:
    """Answers, and from then on DynamoDB refuses writes: the answer cannot be stored."""

    name = "fails-storage"

    def __init__(self, dynamodb: Any) -> None:
        self.dynamodb = dynamodb

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        yield TextDelta("An answer that will not be saved.")
        yield StreamStop("end_turn")
        self.dynamodb.meta.events.register("before-call.dynamodb.TransactWriteItems", _refuse)


def _refuse(**_: Any) -> None:
    raise FAULTS[0].exception("TransactWriteItems")


def test_a_storage_failure_after_the_answer_is_reported_in_the_stream(
    settings: Any, dynamodb: Any, s3: Any, managed_model: Any, quotas: Any, knowledge_base: Any
) -> None:
    app = make_app(settings, dynamodb, s3, knowledge_base, FailsStorageAfterAnswering(dynamodb))
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = chat(client)
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb.TransactWriteItems", _refuse)
    assert response.status_code == 200
    frames = parse_sse(response.text)
    names = [f.event for f in frames]
    assert names[-len(TAIL) :] == TAIL
    assert frames[-2].data["code"] == "service_unavailable" and frames[-2].data["recoverable"] is True


@pytest.mark.parametrize("session_id", ["s1#00000000", "a/b", "a.b", "line\nbreak", "x" * 129, ""])
def test_a_session_id_outside_the_id_rule_is_a_422_envelope(client: TestClient, dynamodb: Any, session_id: str) -> None:
    response = chat(client, session_id=session_id)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("validation_error", "body.session_id")
    assert "X-Session-ID" not in response.headers
    assert SessionStore(dynamodb, "sessions-metadata").list_sessions("111111111").sessions == []


@pytest.mark.parametrize(
    ("field", "value"), [("assistant_id", "AST#x"), ("assistant_id", "../x"), ("file_upload_ids", ["up_1", "a#b"])]
)
def test_assistant_and_upload_ids_outside_the_id_rule_are_422(
    client: TestClient, dynamodb: Any, field: str, value: Any
) -> None:
    response = chat(client, **{field: value})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["field"].startswith(f"body.{field}")
    assert SessionStore(dynamodb, "sessions-metadata").list_sessions("111111111").sessions == []


@pytest.mark.parametrize("session_id", ["3f2b8c1e-9a4d-4e7b-8c2a-1b2c3d4e5f60", "test-0123456789ab"])
def test_the_ids_the_client_and_the_original_system_make_pass(client: TestClient, session_id: str) -> None:
    response = chat(client, session_id=session_id)
    assert response.status_code == 200 and response.headers["X-Session-ID"] == session_id
