"""``POST /assistants/{id}/test-chat``: the owner tries an assistant against its own documents.

Everything that can be refused is checked before the first byte (the owner,
at least one ingested document, the knowledge-base search), so those failures
are ordinary error responses. Once streaming, a model failure becomes the
conversational error sequence, ``done`` last, as the client expects.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from apis.shared.assistants import DocumentStatus, augment_prompt_with_context
from apis.shared.errors import (
    BadRequestError,
    ModelInvocationError,
    conversational_error_for,
    conversational_error_frames,
    format_sse,
)
from apis.shared.models import ChatTurn, ModelRequest, TextBlock
from apis.shared.models.sse import AnswerCollector, done_frame, model_answer_frames

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apis.shared.assistants import AssistantService, DocumentService, KnowledgeBase, SearchHit
    from apis.shared.models import ModelProviderProtocol

__all__ = ["TestChatService"]

logger = logging.getLogger(__name__)

TOP_K = 5
DEBUG_TEXT_CHARS = 500


class TestChatService:
    __test__ = False  # not a pytest class, whatever its name says

    def __init__(
        self,
        assistants: AssistantService,
        documents: DocumentService,
        knowledge_base: KnowledgeBase,
        model: ModelProviderProtocol,
        *,
        model_id: str,
        expose_error_text: bool = False,
    ) -> None:
        self._assistants = assistants
        self._documents = documents
        self._kb = knowledge_base
        self._model = model
        self._model_id = model_id
        self._expose_error_text = expose_error_text

    def open(self, assistant_id: str, owner_id: str, message: str, session_id: str | None = None) -> Iterator[str]:
        """Check and search now; return the frames to stream (a lazy iterator)."""
        assistant = self._assistants.get_owned(assistant_id, owner_id)
        if not self._has_ingested_document(assistant_id):
            raise BadRequestError(
                "The assistant has no processed documents yet",
                detail="upload at least one document and wait until its status is complete",
            )
        hits = self._kb.search(assistant_id, message, TOP_K)
        chunks = [{"text": hit.text, "distance": hit.distance, "key": hit.key} for hit in hits]
        request = ModelRequest(
            model_id=self._model_id,
            messages=(ChatTurn(role="user", content=(TextBlock(augment_prompt_with_context(message, chunks)),)),),
            system_prompt=assistant.instructions or None,
        )
        return self._frames(request, hits, session_id or f"test-{uuid.uuid4().hex[:12]}")

    def _has_ingested_document(self, assistant_id: str) -> bool:
        token: str | None = None
        while True:
            page = self._documents.list(assistant_id, limit=100, next_token=token)
            if any(document.status is DocumentStatus.COMPLETE for document in page.documents):
                return True
            token = page.next_token
            if token is None:
                return False

    def _frames(self, request: ModelRequest, hits: list[SearchHit], session_id: str) -> Iterator[str]:
        yield format_sse("debug", _rag_debug(hits))
        collector = AnswerCollector()
        try:
            yield from model_answer_frames(self._model.stream(request), collector)
        except ModelInvocationError as exc:
            logger.warning("test chat of session %s failed: %r", session_id, exc)
            event = conversational_error_for(exc, session_id=session_id, expose_error_text=self._expose_error_text)
            yield from conversational_error_frames(event)
            return
        yield done_frame()


def _rag_debug(hits: list[SearchHit]) -> dict[str, Any]:
    return {
        "type": "rag_debug",
        "chunk_count": len(hits),
        "chunks": [
            {
                "index": index,
                "text": hit.text[:DEBUG_TEXT_CHARS],
                "distance": hit.distance,
                "key": hit.key,
                "source": hit.metadata.get("source"),
            }
            for index, hit in enumerate(hits)
        ],
    }
