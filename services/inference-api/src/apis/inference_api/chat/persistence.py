"""Persistence: a turn's question and answer as the session's messages, and the session's preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apis.inference_api.chat.attachments import attached_files_marker
from apis.shared.sessions import (
    Attribution,
    LatencyMetrics,
    Message,
    MessageContent,
    MessageMetadata,
    MessageTokenUsage,
    ModelInfo,
    UpdateSessionMetadataRequest,
)
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from collections.abc import Sequence

    from apis.shared.metering import Charge
    from apis.shared.quota import PricingSnapshot
    from apis.shared.sessions import Citation, SessionService, SessionStore

__all__ = ["TurnPersistence", "answer_metadata"]


class TurnPersistence:
    def __init__(self, *, sessions: SessionService, session_store: SessionStore) -> None:
        self._sessions = sessions
        self._store = session_store

    def store_question(
        self,
        session_id: str,
        user_id: str,
        *,
        text: str,
        filenames: Sequence[str],
        last_model: str | None,
        assistant_id: str | None,
    ) -> int:
        """Remember the session's model and assistant, then store the question; its message index.

        The names of attached files follow the text as the marker the client strips.
        """
        preferences = UpdateSessionMetadataRequest(last_model=last_model, assistant_id=assistant_id)
        self._sessions.update_metadata(session_id, user_id, preferences)
        message = Message(role="user", content=[MessageContent(text=text + attached_files_marker(list(filenames)))],
                          timestamp=utc_timestamp())  # fmt: skip
        return self._store.append_message(session_id, user_id, message)

    def store_answer(
        self, session_id: str, user_id: str, *, text: str, timestamp: str, metadata: MessageMetadata
    ) -> int:
        """Store the assistant's message; its message index."""
        message = Message(role="assistant", content=[MessageContent(text=text)], timestamp=timestamp,
                          metadata=metadata)  # fmt: skip
        return self._store.append_message(session_id, user_id, message)


def answer_metadata(
    *,
    charge: Charge | None,
    pricing: PricingSnapshot,
    user_id: str,
    session_id: str,
    timestamp: str,
    stop_reason: str | None,
    latency: tuple[int, int] | None = None,
    citations: Sequence[Citation] = (),
) -> MessageMetadata:
    """The stored answer's metadata: model and prices, usage and cost when charged, timings, citations.

    Beside the contract's fields: ``stopReason`` (end_turn, max_tokens, cancelled,
    error…) and, for a charge estimated without the model's usage report, ``costEstimated``.
    """
    extra: dict[str, Any] = {"stopReason": stop_reason}
    if charge is not None and charge.estimated:
        extra["costEstimated"] = True
    usage = charge.usage if charge is not None else None
    return MessageMetadata(
        latency=LatencyMetrics(time_to_first_token=latency[0], end_to_end_latency=latency[1]) if latency else None,
        token_usage=MessageTokenUsage(
            input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, total_tokens=usage.total_tokens,
            cache_read_input_tokens=usage.cache_read_input_tokens,
            cache_write_input_tokens=usage.cache_write_input_tokens,
        ) if usage is not None else None,
        model_info=ModelInfo(model_id=pricing.model_id, model_name=pricing.model_name, provider=pricing.provider,
                             pricing_snapshot=pricing.model_dump(mode="json", by_alias=True)),
        attribution=Attribution(user_id=user_id, session_id=session_id, timestamp=timestamp),
        cost=float(charge.cost) if charge is not None else None,
        citations=list(citations) or None,
        **extra,
    )  # fmt: skip
