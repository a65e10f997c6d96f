"""Assistants: models, repository and service with their access rules, documents and their ingestion,
the knowledge bases (S3 Vectors in production, SQLite FTS5 locally) and the RAG helpers."""

from apis.shared.assistants.documents import (
    Document,
    DocumentNotFoundError,
    DocumentService,
    DocumentsListResponse,
    DocumentStatus,
    DocumentUploadRequest,
    DocumentUploadResponse,
)
from apis.shared.assistants.ingestion import SUPPORTED_TYPES, UnsupportedDocumentError, chunk_text, extract_text
from apis.shared.assistants.knowledge_base import (
    Chunk,
    KnowledgeBase,
    LocalKnowledgeBase,
    S3VectorsKnowledgeBase,
    SearchHit,
)
from apis.shared.assistants.models import (
    Assistant,
    AssistantResponse,
    AssistantSharesResponse,
    AssistantsListResponse,
    AssistantStatus,
    AssistantVisibility,
    CreateAssistantDraftRequest,
    CreateAssistantRequest,
    ShareAssistantRequest,
    UpdateAssistantRequest,
)
from apis.shared.assistants.rag_service import augment_prompt_with_context
from apis.shared.assistants.repository import (
    AssistantAccessDeniedError,
    AssistantNotFoundError,
    AssistantRepository,
    visible_to,
)
from apis.shared.assistants.service import (
    DEFAULT_VECTOR_INDEX_ID,
    AssistantService,
)
from apis.shared.assistants.table import ASSISTANTS_TABLE

__all__ = [
    "ASSISTANTS_TABLE",
    "DEFAULT_VECTOR_INDEX_ID",
    "SUPPORTED_TYPES",
    "Assistant",
    "AssistantAccessDeniedError",
    "AssistantNotFoundError",
    "AssistantRepository",
    "AssistantResponse",
    "AssistantService",
    "AssistantSharesResponse",
    "AssistantStatus",
    "AssistantVisibility",
    "AssistantsListResponse",
    "Chunk",
    "CreateAssistantDraftRequest",
    "CreateAssistantRequest",
    "Document",
    "DocumentNotFoundError",
    "DocumentService",
    "DocumentStatus",
    "DocumentUploadRequest",
    "DocumentUploadResponse",
    "DocumentsListResponse",
    "KnowledgeBase",
    "LocalKnowledgeBase",
    "S3VectorsKnowledgeBase",
    "SearchHit",
    "ShareAssistantRequest",
    "UnsupportedDocumentError",
    "UpdateAssistantRequest",
    "augment_prompt_with_context",
    "chunk_text",
    "extract_text",
    "visible_to",
]
