"""Sessions and their messages: models, the DynamoDB store and the service."""

from apis.shared.sessions.metadata import get_session_metadata
from apis.shared.sessions.models import (
    Attribution,
    BulkDeleteSessionResult,
    BulkDeleteSessionsRequest,
    BulkDeleteSessionsResponse,
    Citation,
    LatencyMetrics,
    Message,
    MessageContent,
    MessageMetadata,
    MessageResponse,
    MessagesListResponse,
    MessageTokenUsage,
    ModelInfo,
    SessionMetadata,
    SessionMetadataResponse,
    SessionPreferences,
    SessionsListResponse,
    SessionStatus,
    UpdateSessionMetadataRequest,
)
from apis.shared.sessions.service import DEFAULT_TITLE, SessionService
from apis.shared.sessions.store import (
    MessagePage,
    SessionNotFoundError,
    SessionPage,
    SessionStore,
    TurnInProgressError,
)
from apis.shared.sessions.table import SESSIONS_METADATA_TABLE

__all__ = [
    "DEFAULT_TITLE",
    "SESSIONS_METADATA_TABLE",
    "Attribution",
    "BulkDeleteSessionResult",
    "BulkDeleteSessionsRequest",
    "BulkDeleteSessionsResponse",
    "Citation",
    "LatencyMetrics",
    "Message",
    "MessageContent",
    "MessageMetadata",
    "MessagePage",
    "MessageResponse",
    "MessageTokenUsage",
    "MessagesListResponse",
    "ModelInfo",
    "SessionMetadata",
    "SessionMetadataResponse",
    "SessionNotFoundError",
    "SessionPage",
    "SessionPreferences",
    "SessionService",
    "SessionStatus",
    "SessionStore",
    "SessionsListResponse",
    "TurnInProgressError",
    "UpdateSessionMetadataRequest",
    "get_session_metadata",
]
