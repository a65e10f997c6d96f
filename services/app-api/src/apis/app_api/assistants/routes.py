"""Assistant and document routes of the client contract.

The owner manages an assistant, its shares and its documents; anyone the
assistant is visible to may read it and download its documents (the citation
chips of a chat). Someone else's private assistant is 403 on read, as the
client expects, and 'not found' for every owner-only operation.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse
from pydantic import Field

from apis.app_api.assistants.dependencies import TestChatServiceDep
from apis.app_api.dependencies import AssistantsDep, CurrentUser, DocumentsDep, PathId
from apis.shared.assistants import (
    AssistantResponse,
    AssistantSharesResponse,
    AssistantsListResponse,
    CreateAssistantDraftRequest,
    CreateAssistantRequest,
    Document,
    DocumentsListResponse,
    DocumentUploadRequest,
    DocumentUploadResponse,
    ShareAssistantRequest,
    UpdateAssistantRequest,
)
from apis.shared.ids import SafeId
from apis.shared.schema import CamelModel

__all__ = ["router"]

router = APIRouter(prefix="/assistants", tags=["assistants"])

DOWNLOAD_URL_TTL_SECONDS = 15 * 60
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class TestChatRequest(CamelModel):
    message: str = Field(min_length=1, max_length=100_000)
    session_id: SafeId | None = Field(default=None, alias="session_id")


class DocumentDownloadResponse(CamelModel):
    download_url: str
    filename: str
    expires_in: int


@router.post("/draft", response_model=AssistantResponse, response_model_exclude_none=True)
def create_draft(body: CreateAssistantDraftRequest, user: CurrentUser, assistants: AssistantsDep) -> AssistantResponse:
    assistant = assistants.create_draft(user.user_id, user.name, body)
    return AssistantResponse.from_assistant(assistant, viewer_id=user.user_id)


@router.post("", response_model=AssistantResponse, response_model_exclude_none=True)
def create_assistant(body: CreateAssistantRequest, user: CurrentUser, assistants: AssistantsDep) -> AssistantResponse:
    assistant = assistants.create(user.user_id, user.name, body)
    return AssistantResponse.from_assistant(assistant, viewer_id=user.user_id)


@router.get("", response_model=AssistantsListResponse, response_model_exclude_none=True)
def list_assistants(
    user: CurrentUser,
    assistants: AssistantsDep,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    next_token: Annotated[str | None, Query()] = None,
    include_archived: bool = False,
    include_drafts: bool = False,
    include_public: bool = False,
) -> AssistantsListResponse:
    """Owned assistants and those shared with the caller's verified email, newest first.

    ``next_token`` and ``include_public`` are accepted for the client's sake: the
    list is complete up to ``limit`` and public assistants are not listed.
    """
    return assistants.list_for_user(
        user.user_id, user.verified_email, include_drafts=include_drafts, include_archived=include_archived, limit=limit
    )


@router.get("/{assistant_id}", response_model=AssistantResponse, response_model_exclude_none=True)
def get_assistant(assistant_id: PathId, user: CurrentUser, assistants: AssistantsDep) -> AssistantResponse:
    """404 when it does not exist, 403 when it is not visible to the caller."""
    assistant = assistants.get_with_access_check(assistant_id, user.user_id, user.verified_email)
    return AssistantResponse.from_assistant(assistant, viewer_id=user.user_id)


@router.put("/{assistant_id}", response_model=AssistantResponse, response_model_exclude_none=True)
def update_assistant(
    assistant_id: PathId, body: UpdateAssistantRequest, user: CurrentUser, assistants: AssistantsDep
) -> AssistantResponse:
    assistant = assistants.update(assistant_id, user.user_id, body)
    return AssistantResponse.from_assistant(assistant, viewer_id=user.user_id)


@router.post("/{assistant_id}/archive", response_model=AssistantResponse, response_model_exclude_none=True)
def archive_assistant(assistant_id: PathId, user: CurrentUser, assistants: AssistantsDep) -> AssistantResponse:
    assistant = assistants.archive(assistant_id, user.user_id)
    return AssistantResponse.from_assistant(assistant, viewer_id=user.user_id)


@router.delete("/{assistant_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_assistant(
    assistant_id: PathId, user: CurrentUser, assistants: AssistantsDep, documents: DocumentsDep
) -> Response:
    """Delete the assistant with its documents (objects, index entries, records) and shares."""
    assistants.get_owned(assistant_id, user.user_id)
    documents.delete_all(assistant_id)
    assistants.delete(assistant_id, user.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{assistant_id}/shares", response_model=AssistantSharesResponse)
def list_shares(assistant_id: PathId, user: CurrentUser, assistants: AssistantsDep) -> AssistantSharesResponse:
    return assistants.shares(assistant_id, user.user_id)


@router.post("/{assistant_id}/shares", response_model=AssistantSharesResponse)
def add_shares(
    assistant_id: PathId, body: ShareAssistantRequest, user: CurrentUser, assistants: AssistantsDep
) -> AssistantSharesResponse:
    return assistants.share(assistant_id, user.user_id, body.emails)


@router.delete("/{assistant_id}/shares", response_model=AssistantSharesResponse)
def remove_shares(
    assistant_id: PathId, body: ShareAssistantRequest, user: CurrentUser, assistants: AssistantsDep
) -> AssistantSharesResponse:
    """The client sends the emails as a JSON body on DELETE."""
    return assistants.unshare(assistant_id, user.user_id, body.emails)


@router.post("/{assistant_id}/documents/upload-url", response_model=DocumentUploadResponse)
def document_upload_url(
    assistant_id: PathId,
    body: DocumentUploadRequest,
    user: CurrentUser,
    assistants: AssistantsDep,
    documents: DocumentsDep,
) -> DocumentUploadResponse:
    """Record the document and sign its upload; ingestion starts when the object lands in S3."""
    assistants.get_owned(assistant_id, user.user_id)
    return documents.create_upload(assistant_id, body)


@router.get("/{assistant_id}/documents", response_model=DocumentsListResponse, response_model_exclude_none=True)
def list_documents(
    assistant_id: PathId,
    user: CurrentUser,
    assistants: AssistantsDep,
    documents: DocumentsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    next_token: Annotated[str | None, Query()] = None,
) -> DocumentsListResponse:
    assistants.get_owned(assistant_id, user.user_id)
    return documents.list(assistant_id, limit=limit, next_token=next_token)


@router.get("/{assistant_id}/documents/{document_id}", response_model=Document, response_model_exclude_none=True)
def get_document(
    assistant_id: PathId, document_id: PathId, user: CurrentUser, assistants: AssistantsDep, documents: DocumentsDep
) -> Document:
    """The client polls this until ``complete`` or ``failed`` (a 404 keeps it polling)."""
    assistants.get_owned(assistant_id, user.user_id)
    return documents.get(assistant_id, document_id)


@router.get("/{assistant_id}/documents/{document_id}/download", response_model=DocumentDownloadResponse)
def download_document(
    assistant_id: PathId, document_id: PathId, user: CurrentUser, assistants: AssistantsDep, documents: DocumentsDep
) -> DocumentDownloadResponse:
    """A short-lived download link, for anyone the assistant is visible to (citation chips)."""
    assistants.get_with_access_check(assistant_id, user.user_id, user.verified_email)
    url, document = documents.download_url(assistant_id, document_id)
    return DocumentDownloadResponse(download_url=url, filename=document.filename, expires_in=DOWNLOAD_URL_TTL_SECONDS)


@router.delete("/{assistant_id}/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(
    assistant_id: PathId, document_id: PathId, user: CurrentUser, assistants: AssistantsDep, documents: DocumentsDep
) -> Response:
    assistants.get_owned(assistant_id, user.user_id)
    documents.delete(assistant_id, document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{assistant_id}/test-chat",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "The answer as server-sent events"}},
)
def test_chat(
    assistant_id: PathId, body: TestChatRequest, user: CurrentUser, service: TestChatServiceDep
) -> StreamingResponse:
    """Stream an answer grounded in the assistant's documents (owner only; needs one processed document)."""
    frames = service.open(assistant_id, user, body.message, body.session_id)
    return StreamingResponse(frames, media_type="text/event-stream", headers=SSE_HEADERS)
