"""The chat stream as Server-Sent Events: frames, conversational errors and the quota's events.

Once a stream has started its HTTP status is sent, so everything after that, errors included,
travels as named frames (client contract §13).
"""

from apis.shared.streaming.errors import (
    ClosingEvent,
    ConversationalErrorEvent,
    build_conversational_error_event,
    conversational_error_for,
    conversational_error_frames,
)
from apis.shared.streaming.frames import (
    AnswerCollector,
    citation_frame,
    content_block_delta,
    content_block_start,
    content_block_stop,
    done_frame,
    format_sse,
    message_start,
    message_stop,
    metadata_frame,
    model_answer_frames,
)
from apis.shared.streaming.quota import (
    QuotaExceededEvent,
    QuotaWarningEvent,
    build_quota_exceeded_event,
    build_quota_warning_event,
)

__all__ = [
    "AnswerCollector",
    "ClosingEvent",
    "ConversationalErrorEvent",
    "QuotaExceededEvent",
    "QuotaWarningEvent",
    "build_conversational_error_event",
    "build_quota_exceeded_event",
    "build_quota_warning_event",
    "citation_frame",
    "content_block_delta",
    "content_block_start",
    "content_block_stop",
    "conversational_error_for",
    "conversational_error_frames",
    "done_frame",
    "format_sse",
    "message_start",
    "message_stop",
    "metadata_frame",
    "model_answer_frames",
]
