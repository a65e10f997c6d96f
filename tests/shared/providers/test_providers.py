"""Model providers: Bedrock through botocore against a loopback event-stream endpoint, and the local model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.eventstream import EventStream

from apis.shared.aws import client_config
from apis.shared.errors import ErrorCode
from apis.shared.providers import (
    BedrockModelProvider,
    ChatTurn,
    DocumentBlock,
    ImageBlock,
    LocalModelProvider,
    ModelAccessDeniedError,
    ModelInvocationError,
    ModelRequest,
    ModelRequestInvalidError,
    ModelThrottledError,
    ModelTimeoutError,
    ModelUnavailableError,
    ProviderConfigurationError,
    StreamStop,
    TextBlock,
    TextDelta,
    UsageReport,
)
from apis.shared.streaming import build_conversational_error_event, conversational_error_frames
from tests.support.bedrock_fake import FakeBedrock, answer_events, fake_bedrock, stream_exception
from tests.support.sse import parse_sse

if TYPE_CHECKING:
    from collections.abc import Iterator

REQUEST = ModelRequest(
    model_id="us.anthropic.claude-haiku-4-5",
    messages=(
        ChatTurn("user", (TextBlock("Hello"),)),
        ChatTurn("assistant", (TextBlock("Hi!"),)),
        ChatTurn(
            "user", (TextBlock("Summarise this"), ImageBlock("png", b"\x89PNG"), DocumentBlock("pdf", "a", b"%PDF"))
        ),
    ),
    system_prompt="Be brief.",
    temperature=0.2,
    max_tokens=512,
    caching=True,
)


@pytest.fixture
def bedrock(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeBedrock, BedrockModelProvider]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with fake_bedrock() as fake:
        client = boto3.client(
            "bedrock-runtime", region_name="us-east-1", endpoint_url=fake.url,
            config=client_config(max_attempts=1, read_timeout=2),
        )  # fmt: skip
        yield fake, BedrockModelProvider(client)


def test_a_streamed_answer(bedrock: tuple[FakeBedrock, BedrockModelProvider]) -> None:
    fake, provider = bedrock
    usage = {"inputTokens": 30, "outputTokens": 4, "totalTokens": 34, "cacheReadInputTokens": 20}
    fake.reply = ("stream", answer_events("Hel", "lo there", usage=usage))
    events = list(provider.stream(REQUEST))
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hel", "lo there"]
    assert StreamStop("end_turn") in events
    report = next(e for e in events if isinstance(e, UsageReport))
    assert (report.input_tokens, report.output_tokens, report.cache_read_input_tokens, report.latency_ms) == (
        30, 4, 20, 42,
    )  # fmt: skip
    body = fake.requests[0]["body"]
    assert fake.requests[0]["path"] == "/model/us.anthropic.claude-haiku-4-5/converse-stream"
    assert body["system"] == [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}]
    assert body["inferenceConfig"] == {"temperature": 0.2, "maxTokens": 512}
    last = body["messages"][2]["content"]
    assert last[0] == {"text": "Summarise this"}
    assert last[1]["image"]["format"] == "png" and last[1]["image"]["source"]["bytes"]
    assert last[2]["document"] == {"format": "pdf", "name": "a", "source": {"bytes": "JVBERg=="}}


def test_no_caching_and_no_system_prompt_are_left_out(bedrock: tuple[FakeBedrock, BedrockModelProvider]) -> None:
    _, provider = bedrock
    params = provider.build_request(ModelRequest(model_id="m", messages=(ChatTurn("user", (TextBlock("x"),)),)))
    assert set(params) == {"modelId", "messages"}
    cached = provider.build_request(ModelRequest(model_id="m", messages=(), system_prompt="s"))
    assert cached["system"] == [{"text": "s"}]


@pytest.mark.parametrize(
    ("error_type", "status", "expected", "code"),
    [
        ("ThrottlingException", 429, ModelThrottledError, "rate_limit_exceeded"),
        ("AccessDeniedException", 403, ModelAccessDeniedError, "model_error"),
        ("ValidationException", 400, ModelRequestInvalidError, "bad_request"),
        ("ResourceNotFoundException", 404, ModelRequestInvalidError, "bad_request"),
        ("ModelTimeoutException", 408, ModelTimeoutError, "timeout"),
        ("ServiceUnavailableException", 503, ModelUnavailableError, "service_unavailable"),
        ("ModelErrorException", 424, ModelInvocationError, "model_error"),
    ],
)
def test_errors_before_the_stream(
    bedrock: tuple[FakeBedrock, BedrockModelProvider], error_type: str, status: int, expected: type, code: str
) -> None:
    fake, provider = bedrock
    fake.reply = ("error", status, error_type, "nope")
    with pytest.raises(expected) as raised:
        list(provider.stream(REQUEST))
    assert type(raised.value) is expected
    assert raised.value.code.value == code
    assert raised.value.__cause__ is not None
    if expected is ModelThrottledError:
        assert raised.value.retry_after == 5 and raised.value.status_code == 429


@pytest.mark.parametrize(
    ("exception_type", "expected"),
    [
        ("throttlingException", ModelThrottledError),
        ("validationException", ModelRequestInvalidError),
        ("modelStreamErrorException", ModelInvocationError),
        ("internalServerException", ModelUnavailableError),
    ],
)
def test_errors_inside_the_stream(
    bedrock: tuple[FakeBedrock, BedrockModelProvider], exception_type: str, expected: type
) -> None:
    fake, provider = bedrock
    fake.reply = ("stream", [*answer_events("partial")[:2], stream_exception(exception_type, "broke mid-way")])
    received = []
    with pytest.raises(expected):
        for event in provider.stream(REQUEST):
            received.append(event)
    assert received == [TextDelta("partial")], "what arrived before the error still arrived"


def test_an_unreachable_endpoint_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
        config=client_config(max_attempts=1, connect_timeout=1),
    )  # fmt: skip
    with pytest.raises(ModelUnavailableError):
        list(BedrockModelProvider(client).stream(REQUEST))


def test_the_conversational_sequence_for_a_model_error(bedrock: tuple[FakeBedrock, BedrockModelProvider]) -> None:
    fake, provider = bedrock
    fake.reply = ("error", 429, "ThrottlingException", "Too many requests")
    with pytest.raises(ModelThrottledError) as raised:
        list(provider.stream(REQUEST))
    error = raised.value
    event = build_conversational_error_event(
        error.code, error.detail or "", session_id="s1", recoverable=True, retry_after=error.retry_after
    )
    frames = parse_sse("".join(conversational_error_frames(event)))
    assert frames[-2].data["code"] == "rate_limit_exceeded" and frames[-2].data["retry_after"] == 5
    assert "too many requests" in frames[2].data["text"]
    assert frames[-1].event == "done"
    assert ErrorCode(frames[-2].data["code"]) is ErrorCode.RATE_LIMIT_EXCEEDED


def test_the_local_model_is_deterministic_and_development_only() -> None:
    provider = LocalModelProvider(environment="development")
    first = list(provider.stream(REQUEST))
    second = list(provider.stream(REQUEST))
    assert first[:-1] == second[:-1], "the same request streams the same answer"
    assert (first[-1].input_tokens, first[-1].output_tokens) == (second[-1].input_tokens, second[-1].output_tokens)
    text = "".join(e.text for e in first if isinstance(e, TextDelta))
    assert text == (
        "This is the local development model (us.anthropic.claude-haiku-4-5). You said: Summarise this "
        "(with 2 attachments) I was given instructions."
    )
    usage = first[-1]
    assert isinstance(usage, UsageReport) and usage.output_tokens == len(text.split(" "))
    for environment in ("production", "staging"):
        with pytest.raises(ProviderConfigurationError):
            LocalModelProvider(environment=environment)


def test_leaving_early_closes_the_bedrock_stream(bedrock: tuple[FakeBedrock, BedrockModelProvider]) -> None:
    fake, provider = bedrock
    fake.reply = ("stream", answer_events("one", "two", "three"))
    closed: list[bool] = []
    original = EventStream.close

    def recording_close(self: EventStream) -> None:
        closed.append(True)
        original(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EventStream, "close", recording_close)
        events = provider.stream(ModelRequest(model_id="m", messages=(ChatTurn("user", (TextBlock("hi"),)),)))
        assert isinstance(next(events), TextDelta)
        events.close()  # the client went away
    assert closed == [True]
