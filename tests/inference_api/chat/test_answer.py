"""The model stream alone: lead frames, the model's frames, what is collected, timings, closing a cut answer."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from apis.inference_api.chat.answer import ModelAnswer
from apis.shared.providers import ModelThrottledError, StreamStop, TextDelta, UsageReport
from apis.shared.streaming import (
    content_block_delta,
    content_block_start,
    content_block_stop,
    format_sse,
    message_start,
    message_stop,
    metadata_frame,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apis.shared.metering import MeteredCall
    from apis.shared.providers import ModelEvent, ModelRequest

USAGE = {"inputTokens": 10, "outputTokens": 4, "totalTokens": 14, "cacheReadInputTokens": 0,
         "cacheWriteInputTokens": 0}  # fmt: skip


class Scripted:
    """Yields its events, advancing the clock a second before each; remembers whether its stream was closed."""

    name = "scripted"

    def __init__(self, clock: Clock, *events: ModelEvent | Exception) -> None:
        self.clock = clock
        self.events = events
        self.closed = False

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        try:
            for event in self.events:
                self.clock.now += 1
                if isinstance(event, Exception):
                    raise event
                yield event
        finally:
            self.closed = True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_the_lead_frames_then_the_models_message_and_what_it_reported(call: MeteredCall, clock: Clock) -> None:
    model = Scripted(clock, TextDelta("Hi"), TextDelta(" there"), StreamStop("end_turn"),
                     UsageReport(input_tokens=10, output_tokens=4, latency_ms=30))  # fmt: skip
    renewals: list[int] = []
    answer = ModelAnswer(call, model, after_frame=lambda: renewals.append(1), clock=clock)
    frames = list(answer.frames(["lead 1\n\n", "lead 2\n\n"]))
    assert frames == [
        "lead 1\n\n", "lead 2\n\n", message_start(), content_block_start(0), content_block_delta(0, "Hi"),
        content_block_delta(0, " there"), content_block_stop(0), message_stop("end_turn"), metadata_frame(USAGE, 30),
    ]  # fmt: skip
    assert len(renewals) == 7, "the lease is looked at after each of the model's frames"
    assert (answer.collector.text, answer.collector.stop_reason, answer.collector.usage) == ("Hi there", "end_turn",
                                                                                            USAGE)  # fmt: skip
    assert answer.latency == (1000, 4000)  # first text after one event (1 s), the end after four
    assert (answer.message_open, answer.block_open, model.closed) == (False, False, True)
    assert call.generated == "Hi there" and call.usage is not None and call.usage.output_tokens == 4


def test_a_model_that_says_nothing_is_an_empty_message_timed_to_its_end(call: MeteredCall, clock: Clock) -> None:
    answer = ModelAnswer(call, Scripted(clock, StreamStop("end_turn")), clock=clock)
    assert list(answer.frames()) == [message_start(), message_stop("end_turn")]
    assert answer.latency == (1000, 1000)
    assert answer.summary_frame(None) == format_sse("metadata", {"metrics": {"latencyMs": 1000,
                                                                             "timeToFirstByteMs": 1000}})  # fmt: skip


def test_a_refused_request_raises_before_any_frame_of_the_message(call: MeteredCall, clock: Clock) -> None:
    model = Scripted(clock, ModelThrottledError("slow down"))
    answer = ModelAnswer(call, model, clock=clock)
    seen: list[str] = []
    with pytest.raises(ModelThrottledError):
        seen.extend(answer.frames(["lead\n\n"]))
    assert seen == ["lead\n\n"]
    assert list(answer.closing_frames()) == [] and model.closed


def test_an_answer_cut_mid_block_is_closed_before_an_explanation(call: MeteredCall, clock: Clock) -> None:
    model = Scripted(clock, TextDelta("Half"), RuntimeError("gone"))
    answer = ModelAnswer(call, model, clock=clock)
    seen: list[str] = []
    with pytest.raises(RuntimeError):
        seen.extend(answer.frames())
    assert seen == [message_start(), content_block_start(0), content_block_delta(0, "Half")]
    assert (answer.message_open, answer.block_open) == (True, True)
    assert list(answer.closing_frames()) == [content_block_stop(0), message_stop("error")]
    assert answer.collector.text == "Half"


def test_closing_the_frames_closes_the_models_stream(call: MeteredCall, clock: Clock) -> None:
    model = Scripted(clock, TextDelta("One"), TextDelta("Two"), StreamStop("end_turn"))
    answer = ModelAnswer(call, model, clock=clock)
    frames = answer.frames()
    assert [next(frames), next(frames), next(frames)] == [message_start(), content_block_start(0),
                                                          content_block_delta(0, "One")]  # fmt: skip
    frames.close()  # the client went away
    assert model.closed and answer.collector.text == "One" and call.generated == "One"


def test_the_summary_frame_carries_timings_usage_and_cost(call: MeteredCall, clock: Clock) -> None:
    model = Scripted(clock, TextDelta("Hi"), UsageReport(input_tokens=10, output_tokens=4, latency_ms=30))
    answer = ModelAnswer(call, model, clock=clock)
    list(answer.frames())
    assert answer.summary_frame(Decimal("0.00003")) == format_sse("metadata", {
        "metrics": {"latencyMs": 2000, "timeToFirstByteMs": 1000}, "usage": USAGE, "cost": 0.00003})  # fmt: skip
