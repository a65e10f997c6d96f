"""A deterministic local model for development: no AWS, no cost, the same answer every time.

It refuses to exist outside development and test, so production can never
answer with it by accident.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from apis.shared.providers.protocol import ModelEvent, ModelRequest, StreamStop, TextBlock, TextDelta, UsageReport

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["LocalModelProvider", "ProviderConfigurationError"]

_ALLOWED_ENVIRONMENTS = frozenset({"development", "test"})


class ProviderConfigurationError(ValueError):
    """The provider may not run in this environment."""


class LocalModelProvider:
    """Echoes the last user message in a fixed frame, a few words per delta."""

    name = "local"

    def __init__(self, *, environment: str, words_per_delta: int = 3) -> None:
        if environment not in _ALLOWED_ENVIRONMENTS:
            raise ProviderConfigurationError(
                f"the local development model cannot run in {environment!r}; configure Amazon Bedrock"
            )
        self._words_per_delta = max(1, words_per_delta)

    @staticmethod
    def answer(request: ModelRequest) -> str:
        last_user = next((turn for turn in reversed(request.messages) if turn.role == "user"), None)
        texts = [block.text for block in (last_user.content if last_user else ()) if isinstance(block, TextBlock)]
        attachments = sum(1 for block in (last_user.content if last_user else ()) if not isinstance(block, TextBlock))
        said = " ".join(texts).strip() or "(nothing)"
        answer = f"This is the local development model ({request.model_id}). You said: {said}"
        if attachments:
            answer += f" (with {attachments} attachment{'s' if attachments != 1 else ''})"
        if request.system_prompt:
            answer += " I was given instructions."
        return answer

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        started = time.monotonic()
        words = self.answer(request).split(" ")
        for start in range(0, len(words), self._words_per_delta):
            chunk = " ".join(words[start : start + self._words_per_delta])
            yield TextDelta(chunk if start == 0 else " " + chunk)
        yield StreamStop("end_turn")
        prompt_words = sum(
            len(block.text.split())
            for turn in request.messages
            for block in turn.content
            if isinstance(block, TextBlock)
        ) + len((request.system_prompt or "").split())
        yield UsageReport(
            input_tokens=prompt_words,
            output_tokens=len(words),
            latency_ms=int((time.monotonic() - started) * 1000),
        )
