"""The chat stream's frames, as the web client parses them (client contract §13). Every frame is named."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from apis.shared.providers.protocol import StreamStop, TextDelta, UsageReport

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from decimal import Decimal

    from apis.shared.providers.protocol import ModelEvent
    from apis.shared.sessions.models import Citation

__all__ = [
    "AnswerCollector",
    "citation_frame",
    "content_block_delta",
    "content_block_start",
    "content_block_stop",
    "done_frame",
    "format_sse",
    "message_start",
    "message_stop",
    "metadata_frame",
    "model_answer_frames",
]


def format_sse(event: str, data: Mapping[str, Any] | BaseModel) -> str:
    """Format one named SSE frame; every frame the platform sends has a name."""
    if isinstance(data, BaseModel):
        payload = data.model_dump(mode="json", by_alias=True, exclude_none=True)
    else:
        payload = dict(data)
    return f"event: {event}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


def message_start(role: str = "assistant") -> str:
    return format_sse("message_start", {"role": role})


def content_block_start(index: int, block_type: str = "text") -> str:
    return format_sse("content_block_start", {"contentBlockIndex": index, "type": block_type})


def content_block_delta(index: int, text: str) -> str:
    return format_sse("content_block_delta", {"contentBlockIndex": index, "type": "text", "text": text})


def content_block_stop(index: int) -> str:
    return format_sse("content_block_stop", {"contentBlockIndex": index})


def message_stop(reason: str) -> str:
    return format_sse("message_stop", {"stopReason": reason})


def metadata_frame(usage: dict[str, int], latency_ms: int, *, cost: Decimal | None = None) -> str:
    data: dict[str, Any] = {"usage": usage, "metrics": {"latencyMs": latency_ms}}
    if cost is not None:
        data["cost"] = float(cost)
    return format_sse("metadata", data)


def citation_frame(citation: Citation) -> str:
    return format_sse("citation", citation.model_dump(by_alias=True))


def done_frame() -> str:
    return format_sse("done", {})


class AnswerCollector:
    """What a stream produced, for persisting the assistant message afterwards."""

    def __init__(self) -> None:
        self.text_parts: list[str] = []
        self.stop_reason: str | None = None
        self.usage: dict[str, int] = {}
        self.latency_ms = 0

    @property
    def text(self) -> str:
        return "".join(self.text_parts)


def model_answer_frames(events: Iterator[ModelEvent], collector: AnswerCollector) -> Iterator[str]:
    """Frames for one assistant message, from provider events; fills ``collector`` as it goes.

    The ``metadata`` frame comes from the provider's usage report; the caller
    adds ``citation``, ``quota_warning`` and ``done`` frames around it.
    """
    yield message_start("assistant")
    started_block = False
    for event in events:
        if isinstance(event, TextDelta):
            if not started_block:
                yield content_block_start(0)
                started_block = True
            collector.text_parts.append(event.text)
            yield content_block_delta(0, event.text)
        elif isinstance(event, StreamStop):
            collector.stop_reason = event.reason
        elif isinstance(event, UsageReport):
            collector.usage = {
                "inputTokens": event.input_tokens,
                "outputTokens": event.output_tokens,
                "totalTokens": event.total_tokens,
                "cacheReadInputTokens": event.cache_read_input_tokens,
                "cacheWriteInputTokens": event.cache_write_input_tokens,
            }
            collector.latency_ms = event.latency_ms
    if started_block:
        yield content_block_stop(0)
    yield message_stop(collector.stop_reason or "end_turn")
    if collector.usage:
        yield metadata_frame(collector.usage, collector.latency_ms)
