"""Assistant operations with their access rules, and the seed's awaitable functions.

Owner-only operations answer 'not found' to anyone else. Reading an assistant
follows its visibility: 404 when it does not exist, 403 when the caller may
not see it (the web client tells the two apart).

Shares are keyed on an email address, so the address a caller is matched by
must be one the identity provider vouches for: pass ``User.verified_email``
(None when the token has none, which matches no share), never ``User.email``.
"""

from __future__ import annotations

from apis.shared.assistants.models import (
    Assistant,
    AssistantResponse,
    AssistantSharesResponse,
    AssistantsListResponse,
    AssistantStatus,
    CreateAssistantDraftRequest,
    CreateAssistantRequest,
    UpdateAssistantRequest,
)
from apis.shared.assistants.repository import (
    AssistantAccessDeniedError,
    AssistantNotFoundError,
    AssistantRepository,
    visible_to,
)

__all__ = [
    "DEFAULT_VECTOR_INDEX_ID",
    "AssistantService",
]

DEFAULT_VECTOR_INDEX_ID = "idx_assistants"
DRAFT_NAME = "Untitled Assistant"


class AssistantService:
    def __init__(self, repository: AssistantRepository, *, vector_index_id: str = DEFAULT_VECTOR_INDEX_ID) -> None:
        self._repository = repository
        self._vector_index_id = vector_index_id

    def create_draft(self, owner_id: str, owner_name: str, request: CreateAssistantDraftRequest) -> Assistant:
        data = CreateAssistantRequest(name=request.name or DRAFT_NAME, status=AssistantStatus.DRAFT)
        return self._repository.create(owner_id, owner_name, data, vector_index_id=self._vector_index_id)

    def create(self, owner_id: str, owner_name: str, request: CreateAssistantRequest) -> Assistant:
        return self._repository.create(owner_id, owner_name, request, vector_index_id=self._vector_index_id)

    def get_with_access_check(self, assistant_id: str, user_id: str, verified_email: str | None) -> Assistant:
        """The assistant if the caller may see it: 404 if it does not exist, 403 if they may not."""
        assistant = self._repository.get(assistant_id)
        if assistant is None:
            raise AssistantNotFoundError(field="assistantId")
        share = None
        if assistant.owner_id != user_id and verified_email:
            share = self._repository.share_of(assistant_id, verified_email)
        if not visible_to(assistant, user_id, share):
            raise AssistantAccessDeniedError()
        return assistant

    def get_owned(self, assistant_id: str, owner_id: str) -> Assistant:
        return self._repository.get_owned(assistant_id, owner_id)

    def exists(self, assistant_id: str) -> bool:
        return self._repository.get(assistant_id) is not None

    def update(self, assistant_id: str, owner_id: str, request: UpdateAssistantRequest) -> Assistant:
        return self._repository.update(assistant_id, owner_id, request)

    def archive(self, assistant_id: str, owner_id: str) -> Assistant:
        return self._repository.update(assistant_id, owner_id, UpdateAssistantRequest(status=AssistantStatus.ARCHIVED))

    def delete(self, assistant_id: str, owner_id: str) -> None:
        self._repository.delete(assistant_id, owner_id)

    def list_for_user(
        self,
        user_id: str,
        verified_email: str | None,
        *,
        include_drafts: bool = False,
        include_archived: bool = False,
        limit: int | None = None,
    ) -> AssistantsListResponse:
        """The caller's own assistants and those shared with their verified email, newest first."""
        hidden = set()
        if not include_drafts:
            hidden.add(AssistantStatus.DRAFT)
        if not include_archived:
            hidden.add(AssistantStatus.ARCHIVED)
        entries = [
            AssistantResponse.from_assistant(a, viewer_id=user_id)
            for a in self._repository.list_owned(user_id)
            if a.status not in hidden
        ]
        owned_ids = {entry.assistant_id for entry in entries}
        shared = self._repository.shared_with(verified_email) if verified_email else []
        for assistant_id, interacted in shared:
            assistant = self._repository.get(assistant_id)
            if assistant is None or assistant.assistant_id in owned_ids or assistant.status in hidden:
                continue
            entries.append(
                AssistantResponse.from_assistant(
                    assistant, viewer_id=user_id, shared_with_me=True, first_interacted=interacted
                )
            )
        entries.sort(key=lambda entry: entry.created_at, reverse=True)
        return AssistantsListResponse(assistants=entries[:limit] if limit else entries)

    def share(self, assistant_id: str, owner_id: str, emails: list[str]) -> AssistantSharesResponse:
        self._repository.get_owned(assistant_id, owner_id)
        self._repository.add_shares(assistant_id, emails)
        return self.shares(assistant_id, owner_id)

    def unshare(self, assistant_id: str, owner_id: str, emails: list[str]) -> AssistantSharesResponse:
        self._repository.get_owned(assistant_id, owner_id)
        self._repository.remove_shares(assistant_id, emails)
        return self.shares(assistant_id, owner_id)

    def shares(self, assistant_id: str, owner_id: str) -> AssistantSharesResponse:
        self._repository.get_owned(assistant_id, owner_id)
        return AssistantSharesResponse(
            assistant_id=assistant_id, shared_with=self._repository.list_shares(assistant_id)
        )

    def mark_share_as_interacted(self, assistant_id: str, verified_email: str | None) -> bool:
        """Record the first use of a share; False when the caller has no share (or no verified email)."""
        if not verified_email:
            return False
        return self._repository.mark_share_interacted(assistant_id, verified_email)
