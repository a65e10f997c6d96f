"""``POST /assistants/{id}/test-chat``: the owner tries an assistant against its own documents.

Everything that can be refused is checked before the first byte (the owner,
at least one ingested document, the knowledge-base search, the model and the
owner's access to it, the owner's quota), so those failures are ordinary error
responses. Once streaming, a model failure becomes the conversational error
sequence, ``done`` last, as the client expects. The call is metered as a chat
turn is (``apis.shared.metering``): charged to the owner, also when the client
leaves or the model fails mid-answer.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from apis.shared.assistants import DocumentStatus, augment_prompt_with_context
from apis.shared.errors import BadRequestError, ModelInvocationError
from apis.shared.providers import ChatTurn, ModelRequest, TextBlock
from apis.shared.streaming import (
    AnswerCollector,
    conversational_error_for,
    conversational_error_frames,
    done_frame,
    format_sse,
    model_answer_frames,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apis.shared.assistants import AssistantService, DocumentService, KnowledgeBase, SearchHit
    from apis.shared.auth import User
    from apis.shared.catalog import ResolvedModel
    from apis.shared.metering import MeteredCall, ModelMeter
    from apis.shared.providers import ModelProvider

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
        model: ModelProvider,
        *,
        model_id: str,
        meter: ModelMeter,
        expose_error_text: bool = False,
    ) -> None:
        self._assistants = assistants
        self._documents = documents
        self._kb = knowledge_base
        self._model = model
        self._model_id = model_id
        self._meter = meter
        self._expose_error_text = expose_error_text

    def open(self, assistant_id: str, owner: User, message: str, session_id: str | None = None) -> Iterator[str]:
        """Check, search and admit now; return the frames to stream (a lazy iterator).

        Raises:
            PermissionDeniedError: the test-chat model is disabled or not open to the owner (403).
            ModelNotConfiguredError: the test-chat model is not in the catalogue or has no price (503).
            QuotaExceededError: the owner's quota is used up (429).
        """
        assistant = self._assistants.get_owned(assistant_id, owner.user_id)
        if not self._has_ingested_document(assistant_id):
            raise BadRequestError(
                "The assistant has no processed documents yet",
                detail="upload at least one document and wait until its status is complete",
            )
        hits = self._kb.search(assistant_id, message, TOP_K)
        chunks = [{"text": hit.text, "distance": hit.distance, "key": hit.key} for hit in hits]
        prompt = augment_prompt_with_context(message, chunks)

        def request(model: ResolvedModel) -> ModelRequest:
            turn = ChatTurn(role="user", content=(TextBlock(prompt),))
            return ModelRequest(model_id=model.model_id, messages=(turn,), system_prompt=assistant.instructions or None)

        call = self._meter.begin(owner, model_id=None, default_model_id=self._model_id, request=request)
        call.refuse_if_over_quota()
        return self._frames(call, hits, session_id or f"test-{uuid.uuid4().hex[:12]}")

    def _has_ingested_document(self, assistant_id: str) -> bool:
        token: str | None = None
        while True:
            page = self._documents.list(assistant_id, limit=100, next_token=token)
            if any(document.status is DocumentStatus.COMPLETE for document in page.documents):
                return True
            token = page.next_token
            if token is None:
                return False

    def _frames(self, call: MeteredCall, hits: list[SearchHit], session_id: str) -> Iterator[str]:
        try:
            yield format_sse("debug", _rag_debug(hits))
            collector = AnswerCollector()
            try:
                yield from model_answer_frames(call.stream(self._model), collector)
            except ModelInvocationError as exc:
                # JUSTIFICATION: the headers are sent, so the failure can only be told in the
                # stream: the conversational error sequence, ``done`` last. Logged.
                logger.warning("test chat of session %s failed: %r", session_id, exc)
                event = conversational_error_for(exc, session_id=session_id, expose_error_text=self._expose_error_text)
                yield from conversational_error_frames(event)
                return
            yield done_frame()
        finally:
            # Every way out (the end, a model failure, a client that left) charges what was generated.
            call.record(session_id=session_id, purpose="test_chat")


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
