"""Assistants (instructions plus a knowledge base), their shares and documents, as the client reads them."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from apis.shared.schema import CamelModel, PartialUpdate

__all__ = [
    "Assistant",
    "AssistantResponse",
    "AssistantSharesResponse",
    "AssistantStatus",
    "AssistantVisibility",
    "AssistantsListResponse",
    "CreateAssistantDraftRequest",
    "CreateAssistantRequest",
    "ShareAssistantRequest",
    "UpdateAssistantRequest",
]


class AssistantVisibility(StrEnum):
    PRIVATE = "PRIVATE"
    PUBLIC = "PUBLIC"
    SHARED = "SHARED"


class AssistantStatus(StrEnum):
    DRAFT = "DRAFT"
    COMPLETE = "COMPLETE"
    ARCHIVED = "ARCHIVED"


class Assistant(CamelModel):
    assistant_id: str
    owner_id: str
    owner_name: str = ""
    name: str
    description: str = ""
    instructions: str = ""
    vector_index_id: str
    visibility: AssistantVisibility = AssistantVisibility.PRIVATE
    tags: list[str] = Field(default_factory=list)
    usage_count: int = 0
    created_at: str
    updated_at: str
    status: AssistantStatus = AssistantStatus.DRAFT
    image_url: str | None = None


class AssistantResponse(CamelModel):
    """An assistant for the client: without ``ownerId`` (unless the caller owns it), with share state."""

    assistant_id: str
    owner_id: str | None = None
    owner_name: str = ""
    name: str
    description: str = ""
    instructions: str = ""
    vector_index_id: str
    visibility: AssistantVisibility
    tags: list[str] = Field(default_factory=list)
    usage_count: int = 0
    created_at: str
    updated_at: str
    status: AssistantStatus
    image_url: str | None = None
    first_interacted: bool | None = None
    is_shared_with_me: bool | None = None

    @classmethod
    def from_assistant(
        cls, assistant: Assistant, *, viewer_id: str, shared_with_me: bool = False, first_interacted: bool | None = None
    ) -> AssistantResponse:
        data = assistant.model_dump(by_alias=False)
        if assistant.owner_id != viewer_id:
            data["owner_id"] = None
        return cls(**data, is_shared_with_me=shared_with_me, first_interacted=first_interacted)


class CreateAssistantDraftRequest(CamelModel):
    name: str | None = Field(default=None, max_length=200)


class CreateAssistantRequest(CamelModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    instructions: str = Field(default="", max_length=20_000)
    vector_index_id: str | None = None
    visibility: AssistantVisibility = AssistantVisibility.PRIVATE
    tags: list[str] = Field(default_factory=list)
    image_url: str | None = None
    status: AssistantStatus = AssistantStatus.COMPLETE


class UpdateAssistantRequest(PartialUpdate):
    """Mutable fields only; ids, owner and timestamps cannot be changed.

    A field left out keeps its value; only ``imageUrl`` may be null (it removes the image).
    """

    nullable = frozenset({"image_url"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    instructions: str | None = Field(default=None, max_length=20_000)
    visibility: AssistantVisibility | None = None
    tags: list[str] | None = None
    image_url: str | None = None
    status: AssistantStatus | None = None


class ShareAssistantRequest(CamelModel):
    emails: list[str] = Field(min_length=1, max_length=100)

    @field_validator("emails")
    @classmethod
    def _normalise(cls, emails: list[str]) -> list[str]:
        cleaned = [email.strip().lower() for email in emails]
        if any("@" not in email for email in cleaned):
            raise ValueError("every entry must be an email address")
        return list(dict.fromkeys(cleaned))


class AssistantSharesResponse(CamelModel):
    assistant_id: str
    shared_with: list[str]


class AssistantsListResponse(CamelModel):
    assistants: list[AssistantResponse]
    next_token: str | None = None
