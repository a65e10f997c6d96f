"""The model's answer as SSE frames: frames out, the text, usage and timings collected in."""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, Any

from apis.shared.streaming import AnswerCollector, content_block_stop, format_sse, message_stop, model_answer_frames

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator
    from decimal import Decimal

    from apis.shared.metering import MeteredCall
    from apis.shared.providers import ModelProvider

__all__ = ["ModelAnswer"]


def _no_op() -> None:
    return None


class ModelAnswer:
    """One answer of the model to an admitted call.

    ``frames`` streams it; afterwards ``collector`` holds what the model said and
    reported, ``latency`` the time to the first token and to the end (ms). While
    it streams, ``message_open``/``block_open`` say which frames a failure must
    close (``closing_frames``) before the conversational error begins.
    """

    def __init__(
        self,
        call: MeteredCall,
        provider: ModelProvider,
        *,
        after_frame: Callable[[], None] = _no_op,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._call = call
        self._provider = provider
        self._after_frame = after_frame
        self._clock = clock
        self.collector = AnswerCollector()
        self.latency: tuple[int, int] = (0, 0)
        self.message_open = False
        self.block_open = False

    def frames(self, lead: Iterable[str] = ()) -> Generator[str, None, None]:
        """``lead`` (the quota warning, citations), then the model's message; the timings count from here.

        ``after_frame`` runs after each model frame is taken (the turn lease's renewal).
        Closing this generator closes the model's stream.
        """
        started = self._clock()
        first_token: float | None = None
        yield from lead
        events = self._call.stream(self._provider)
        try:
            # The first event before the first frame: a refused request (throttled, denied, invalid)
            # then leaves no empty assistant message in front of the error's.
            first = next(events, None)
            primed = itertools.chain([first] if first is not None else [], events)
            for frame in model_answer_frames(primed, self.collector):
                self._track(frame)
                if first_token is None and self.collector.text_parts:
                    first_token = self._clock()
                yield frame
                self._after_frame()
        finally:
            # Stop the model now, not when the generator is collected (a client that left).
            events.close()
        ended = self._clock()
        self.latency = (int(((first_token or ended) - started) * 1000), int((ended - started) * 1000))

    def closing_frames(self) -> Iterator[str]:
        """The frames that close a message cut short, so an explanation can follow as a message of its own."""
        if self.block_open:
            yield content_block_stop(0)
        if self.message_open:
            yield message_stop("error")

    def summary_frame(self, cost: Decimal | None) -> str:
        """The last ``metadata`` frame: timings, the model's usage report and the turn's cost, when known."""
        ttft_ms, elapsed_ms = self.latency
        data: dict[str, Any] = {"metrics": {"latencyMs": elapsed_ms, "timeToFirstByteMs": ttft_ms}}
        if self.collector.usage:
            data["usage"] = self.collector.usage
        if cost is not None:
            data["cost"] = float(cost)
        return format_sse("metadata", data)

    def _track(self, frame: str) -> None:
        name = frame.split("\n", 1)[0].removeprefix("event: ")
        if name == "message_start":
            self.message_open = True
        elif name == "content_block_start":
            self.block_open = True
        elif name == "content_block_stop":
            self.block_open = False
        elif name == "message_stop":
            self.message_open = False
