"""Context: what a turn sends the model besides the question — attached files, the assistant's
instructions and retrieved passages (with the citations shown to the user), and the history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apis.inference_api.chat.attachments import content_block
from apis.inference_api.chat.history import history_turns
from apis.inference_api.chat.prompts import assistant_system_prompt, base_system_prompt
from apis.shared.assistants import augment_prompt_with_context
from apis.shared.errors import BadRequestError
from apis.shared.providers import ChatTurn, ModelRequest, TextBlock
from apis.shared.sessions import Citation

if TYPE_CHECKING:
    from apis.inference_api.chat.models import InvocationRequest
    from apis.shared.assistants import AssistantService, KnowledgeBase
    from apis.shared.auth import User
    from apis.shared.catalog import ResolvedModel
    from apis.shared.files import FileResolver
    from apis.shared.providers import ContentBlock
    from apis.shared.sessions import SessionMetadata, SessionStore

__all__ = [
    "CITATION_TEXT_CHARS",
    "RAG_TOP_K",
    "Attachments",
    "Grounding",
    "TurnContext",
    "TurnContextBuilder",
    "model_request",
]

RAG_TOP_K = 5
CITATION_TEXT_CHARS = 500


@dataclass(frozen=True)
class Attachments:
    """The files as model blocks, and their names for the stored question."""

    blocks: tuple[ContentBlock, ...] = ()
    filenames: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grounding:
    """The text and system prompt to send, the citations, and the assistant the session is bound to."""

    prompt: str
    system_prompt: str
    citations: tuple[Citation, ...] = ()
    assistant_id: str | None = None


@dataclass(frozen=True)
class TurnContext:
    attachments: Attachments
    session: SessionMetadata | None
    grounding: Grounding


class TurnContextBuilder:
    def __init__(
        self,
        *,
        session_store: SessionStore,
        files: FileResolver,
        assistants: AssistantService,
        knowledge_base: KnowledgeBase,
        max_history_messages: int = 100,
    ) -> None:
        self._store = session_store
        self._files = files
        self._assistants = assistants
        self._kb = knowledge_base
        self._max_history = max_history_messages

    def gather(self, user: User, body: InvocationRequest) -> TurnContext:
        """The attachments, the session (None for a new one) and the grounding; refusals are 4xx."""
        attachments = self.attachments(user, body)
        session = self._store.get(body.session_id, user.user_id)
        return TurnContext(attachments, session, self.grounding(user, body, session))

    def attachments(self, user: User, body: InvocationRequest) -> Attachments:
        """Inline files first, then uploaded ones; an unsupported type or broken base64 is a 400."""
        resolved = self._files.resolve_files(user.user_id, body.file_upload_ids) if body.file_upload_ids else []
        files = [(f.filename, f.content_type, f.bytes) for f in body.files]
        files += [(f.filename, f.content_type, f.bytes) for f in resolved]
        blocks = tuple(content_block(name, kind, data, index) for index, (name, kind, data) in enumerate(files))
        return Attachments(blocks, tuple(name for name, _, _ in files))

    def grounding(self, user: User, body: InvocationRequest, session: SessionMetadata | None) -> Grounding:
        """Without an assistant: the question and the request's (or the base) system prompt.

        With one: its instructions and the passages its knowledge base holds on the
        question. A session stays with the assistant it began with, and a started
        conversation cannot take one on (400).
        """
        preferences = session.preferences if session is not None else None
        bound = preferences.assistant_id if preferences is not None else None
        if body.assistant_id is None:
            return Grounding(body.message, body.system_prompt or base_system_prompt(), (), bound)
        if bound is not None and bound != body.assistant_id:
            raise BadRequestError("This conversation belongs to another assistant", field="assistant_id")
        if bound is None and session is not None and session.message_count > 0:
            raise BadRequestError("An assistant cannot join a conversation that has started", field="assistant_id")
        assistant = self._assistants.get_with_access_check(body.assistant_id, user.user_id, user.verified_email)
        if assistant.owner_id != user.user_id:
            self._assistants.mark_share_as_interacted(assistant.assistant_id, user.verified_email)
        hits = self._kb.search(assistant.assistant_id, body.message, RAG_TOP_K)
        citations = tuple(
            Citation(
                assistant_id=assistant.assistant_id,
                document_id=str(hit.metadata.get("document_id") or hit.key.split("#", 1)[0]),
                file_name=str(hit.metadata.get("source") or ""),
                text=hit.text[:CITATION_TEXT_CHARS],
            )
            for hit in hits
        )
        prompt = augment_prompt_with_context(body.message, [{"text": hit.text} for hit in hits])
        return Grounding(prompt, assistant_system_prompt(assistant.instructions), citations, assistant.assistant_id)

    def conversation(self, context: TurnContext, session_id: str, user_id: str) -> tuple[ChatTurn, ...]:
        """The stored history (up to ``max_history_messages``) and this turn's files and text last.

        Read under the turn's lease, so no other turn's messages arrive in between.
        A history that ends with an unanswered question takes this turn into that one.
        """
        history = self._history(session_id, user_id) if context.session is not None else []
        content: tuple[ContentBlock, ...] = (*context.attachments.blocks, TextBlock(context.grounding.prompt))
        if history and history[-1].role == "user":
            history[-1] = ChatTurn(role="user", content=(*history[-1].content, *content))
        else:
            history.append(ChatTurn(role="user", content=content))
        return tuple(history)

    def _history(self, session_id: str, user_id: str) -> list[ChatTurn]:
        if not self._max_history:
            return []
        return history_turns(self._store.recent_messages(session_id, user_id, limit=self._max_history))


def model_request(
    model: ResolvedModel, body: InvocationRequest, grounding: Grounding, messages: tuple[ChatTurn, ...]
) -> ModelRequest:
    """The call: the request's settings where it has them, else the model's (output bound, caching)."""
    return ModelRequest(
        model_id=model.model_id,
        messages=messages,
        system_prompt=grounding.system_prompt,
        temperature=body.temperature,
        max_tokens=body.max_tokens or model.max_output_tokens,
        caching=body.caching_enabled if body.caching_enabled is not None else model.supports_caching,
    )
