"""The chat stream's answer frames, from a provider's events (client contract §13)."""

from __future__ import annotations

from apis.shared.providers import ChatTurn, LocalModelProvider, ModelRequest, StreamStop, TextBlock
from apis.shared.streaming import AnswerCollector, model_answer_frames
from tests.support.sse import parse_sse

REQUEST = ModelRequest(
    model_id="us.anthropic.claude-haiku-4-5",
    messages=(ChatTurn("user", (TextBlock("Summarise this"),)),),
    system_prompt="Be brief.",
)


def test_answer_frames_follow_the_client_contract() -> None:
    collector = AnswerCollector()
    frames = parse_sse("".join(model_answer_frames(LocalModelProvider(environment="test").stream(REQUEST), collector)))
    names = [frame.event for frame in frames]
    assert names[:2] == ["message_start", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_stop", "metadata"]
    assert all(name for name in names)
    deltas = [f.data["text"] for f in frames if f.event == "content_block_delta"]
    assert "".join(deltas) == collector.text
    assert frames[-2].data == {"stopReason": "end_turn"}
    assert set(frames[-1].data["usage"]) >= {"inputTokens", "outputTokens", "totalTokens"}
    assert "latencyMs" in frames[-1].data["metrics"]


def test_an_empty_answer_still_closes_the_message() -> None:
    frames = parse_sse("".join(model_answer_frames(iter([StreamStop("max_tokens")]), AnswerCollector())))
    assert [f.event for f in frames] == ["message_start", "message_stop"]
    assert frames[-1].data == {"stopReason": "max_tokens"}
