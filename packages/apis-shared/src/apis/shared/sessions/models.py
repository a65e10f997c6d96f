"""Sessions and messages, with the camelCase field names of the client contract."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from apis.shared.ids import SafeId
from apis.shared.schema import CamelModel, OpenCamelModel

__all__ = [
    "Attribution",
    "BulkDeleteSessionResult",
    "BulkDeleteSessionsRequest",
    "BulkDeleteSessionsResponse",
    "Citation",
    "LatencyMetrics",
    "Message",
    "MessageContent",
    "MessageMetadata",
    "MessageResponse",
    "MessageTokenUsage",
    "MessagesListResponse",
    "ModelInfo",
    "SessionMetadata",
    "SessionMetadataResponse",
    "SessionPreferences",
    "SessionStatus",
    "SessionsListResponse",
    "UpdateSessionMetadataRequest",
]


class SessionStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    DELETED = "deleted"


class SessionPreferences(OpenCamelModel):
    last_model: str | None = None
    last_temperature: float | None = None
    enabled_tools: list[str] | None = None
    selected_prompt_id: str | None = None
    custom_prompt_text: str | None = None
    assistant_id: str | None = None
    system_prompt_hash: str | None = None


class SessionMetadata(OpenCamelModel):
    session_id: str
    user_id: str
    title: str
    status: SessionStatus = SessionStatus.ACTIVE
    created_at: str
    last_message_at: str
    message_count: int = Field(default=0, ge=0)
    starred: bool = False
    tags: list[str] = Field(default_factory=list)
    preferences: SessionPreferences | None = None
    deleted: bool = False
    deleted_at: str | None = None


class SessionMetadataResponse(OpenCamelModel):
    """A session as the client reads it (no ``userId``)."""

    session_id: str
    title: str
    status: SessionStatus
    created_at: str
    last_message_at: str
    message_count: int
    starred: bool = False
    tags: list[str] = Field(default_factory=list)
    preferences: SessionPreferences | None = None

    @classmethod
    def from_metadata(cls, metadata: SessionMetadata) -> SessionMetadataResponse:
        data = metadata.model_dump(by_alias=False, exclude={"user_id", "deleted", "deleted_at"})
        return cls.model_validate(data)


class UpdateSessionMetadataRequest(CamelModel):
    """``PUT /sessions/{id}/metadata``: a flat partial body; preference fields sit at the top level."""

    title: str | None = Field(default=None, max_length=500)
    status: SessionStatus | None = None
    starred: bool | None = None
    tags: list[str] | None = None
    last_model: str | None = None
    last_temperature: float | None = Field(default=None, ge=0, le=2)
    enabled_tools: list[str] | None = None
    selected_prompt_id: str | None = None
    custom_prompt_text: str | None = None
    system_prompt_hash: str | None = None
    assistant_id: str | None = None

    def preference_changes(self) -> dict[str, Any]:
        fields = ("last_model", "last_temperature", "enabled_tools", "selected_prompt_id", "custom_prompt_text",
                  "system_prompt_hash", "assistant_id")  # fmt: skip
        return {name: getattr(self, name) for name in fields if getattr(self, name) is not None}


class SessionsListResponse(CamelModel):
    sessions: list[SessionMetadataResponse]
    next_token: str | None = None


class BulkDeleteSessionsRequest(CamelModel):
    session_ids: list[SafeId] = Field(min_length=1, max_length=20)


class BulkDeleteSessionResult(CamelModel):
    session_id: str
    success: bool
    error: str | None = None


class BulkDeleteSessionsResponse(CamelModel):
    deleted_count: int
    failed_count: int
    results: list[BulkDeleteSessionResult]


class MessageContent(OpenCamelModel):
    """A content block: ``text``, or one of the structured blocks kept as dicts."""

    type: str = "text"
    text: str | None = None
    tool_use: dict[str, Any] | None = None
    tool_result: dict[str, Any] | None = None
    image: dict[str, Any] | None = None
    document: dict[str, Any] | None = None
    reasoning_content: dict[str, Any] | None = None


class LatencyMetrics(CamelModel):
    time_to_first_token: float = 0
    end_to_end_latency: float = 0


class MessageTokenUsage(CamelModel):
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cache_write_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class ModelInfo(OpenCamelModel):
    model_id: str
    model_name: str = ""
    model_version: str | None = None
    provider: str | None = None
    pricing_snapshot: dict[str, Any] | None = None


class Attribution(OpenCamelModel):
    user_id: str
    session_id: str
    timestamp: str
    organization_id: str | None = None
    tags: list[str] | None = None


class Citation(CamelModel):
    assistant_id: str
    document_id: str
    file_name: str
    text: str


class MessageMetadata(OpenCamelModel):
    latency: LatencyMetrics | None = None
    token_usage: MessageTokenUsage | None = None
    model_info: ModelInfo | None = None
    attribution: Attribution | None = None
    cost: float | None = None
    citations: list[Citation] | None = None


class Message(CamelModel):
    """A message to store."""

    role: Literal["user", "assistant", "system"]
    content: list[MessageContent]
    timestamp: str | None = None
    metadata: MessageMetadata | None = None


class MessageResponse(BaseModel):
    """A stored message as the client reads it (``created_at`` in snake case, as the contract has it)."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    role: Literal["user", "assistant", "system"]
    content: list[MessageContent]
    created_at: str
    metadata: MessageMetadata | None = None
    citations: list[Citation] | None = None


class MessagesListResponse(BaseModel):
    messages: list[MessageResponse]
    next_token: str | None = None
