"""One chat turn: every check before the first byte, then the stream, then what is persisted.

``ChatService.start`` does all that can refuse a request while an HTTP status
can still say so: the model and the caller's access to it, attached files,
the assistant and its session rules, the quota, the history; it then stores
the user's message. ``ChatStream.frames`` yields the SSE frames the client
parses and, at the end, stores the assistant's message, its cost and the
session's preferences. A failure after the first byte is the conversational
error sequence, ``done`` last. A client that goes away stops generation; the
partial answer is stored so the conversation stays whole.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from apis.inference_api.chat.attachments import attached_files_marker, content_block
from apis.inference_api.chat.history import history_turns
from apis.inference_api.chat.prompts import assistant_system_prompt, base_system_prompt
from apis.shared.assistants import augment_prompt_with_context
from apis.shared.errors import (
    ApisError,
    BadRequestError,
    ConversationalErrorEvent,
    ErrorCode,
    PermissionDeniedError,
    build_conversational_error_event,
    conversational_error_for,
    conversational_error_frames,
    format_sse,
)
from apis.shared.models import ChatTurn, ModelRequest, TextBlock, can_access_model
from apis.shared.models.sse import (
    AnswerCollector,
    citation_frame,
    content_block_stop,
    done_frame,
    message_stop,
    model_answer_frames,
)
from apis.shared.quota import (
    CostRecord,
    PricingSnapshot,
    TokenUsage,
    build_quota_exceeded_event,
    build_quota_warning_event,
    message_cost,
)
from apis.shared.sessions import (
    Attribution,
    Citation,
    LatencyMetrics,
    Message,
    MessageContent,
    MessageMetadata,
    MessageTokenUsage,
    ModelInfo,
    UpdateSessionMetadataRequest,
)

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator

    from apis.inference_api.chat.models import InvocationRequest
    from apis.shared.assistants import AssistantService, KnowledgeBase
    from apis.shared.auth import User
    from apis.shared.files import FileResolver
    from apis.shared.models import ContentBlock, ManagedModel, ManagedModelService, ModelProviderProtocol
    from apis.shared.quota import CostRepository, QuotaChecker, QuotaExceededEvent, QuotaWarningEvent
    from apis.shared.rbac import AppRoleService, UserEffectivePermissions
    from apis.shared.sessions import SessionMetadata, SessionService, SessionStore

__all__ = ["ChatService", "ChatStream"]

logger = logging.getLogger(__name__)

RAG_TOP_K = 5
CITATION_TEXT_CHARS = 500


@dataclass(frozen=True)
class Grounding:
    prompt: str
    system_prompt: str
    citations: list[Citation]
    assistant_id: str | None


@dataclass
class ChatStream:
    """A started turn: the user's message is stored; ``frames`` streams and stores the answer."""

    service: ChatService
    user: User
    session_id: str
    request: ModelRequest
    model: ManagedModel | None
    citations: list[Citation] = field(default_factory=list)
    quota_warning: QuotaWarningEvent | None = None
    quota_exceeded: QuotaExceededEvent | None = None
    collector: AnswerCollector = field(default_factory=AnswerCollector)
    finished: bool = False
    message_open: bool = False
    block_open: bool = False

    def frames(self) -> Generator[str, None, None]:
        try:
            if self.quota_exceeded is not None:
                self.service.store_answer(self, self.quota_exceeded.message, stop_reason="quota_exceeded")
                self.finished = True
                yield from conversational_error_frames(self.quota_exceeded, stop_reason="quota_exceeded")
                return
            yield from self._answer_frames()
        except GeneratorExit:
            self._store_partial()
            raise
        except ApisError as exc:
            logger.warning("chat turn of session %s failed mid-stream: %r", self.session_id, exc)
            yield from self._error_frames(conversational_error_for(
                exc, session_id=self.session_id, expose_error_text=self.service.expose_error_text))  # fmt: skip
        except Exception as exc:
            # JUSTIFICATION: the headers are sent, so no handler can answer any more;
            # this is the stream's last-resort translation point: the traceback is
            # logged and the client gets the conversational agent_error sequence.
            logger.exception("chat turn of session %s failed unexpectedly", self.session_id)
            yield from self._error_frames(build_conversational_error_event(
                ErrorCode.AGENT_ERROR, exc, session_id=self.session_id,
                expose_error_text=self.service.expose_error_text))  # fmt: skip

    def _answer_frames(self) -> Iterator[str]:
        started = time.monotonic()
        first_token: float | None = None
        if self.quota_warning is not None:
            yield self.quota_warning.to_sse_format()
        for citation in self.citations:
            yield citation_frame(citation)
        events = self.service.provider.stream(self.request)
        try:
            # The first event before the first frame: a refused request (throttled, denied, invalid)
            # then leaves no empty assistant message in front of the error's.
            first = next(events, None)
            primed = itertools.chain([first] if first is not None else [], events)
            for frame in model_answer_frames(primed, self.collector):
                self._track(frame)
                if first_token is None and self.collector.text_parts:
                    first_token = time.monotonic()
                yield frame
        finally:
            # Stop the model now, not when the generator is collected (a client that left).
            close = getattr(events, "close", None)
            if close is not None:
                close()
        elapsed_ms = int((time.monotonic() - started) * 1000)
        ttft_ms = int(((first_token or time.monotonic()) - started) * 1000)
        cost = self.service.store_answer(self, self.collector.text, latency=(ttft_ms, elapsed_ms))
        self.finished = True
        yield _final_metadata(self.collector, elapsed_ms, ttft_ms, cost)
        yield done_frame()

    def _track(self, frame: str) -> None:
        name = frame.split("\n", 1)[0].removeprefix("event: ")
        if name == "message_start":
            self.message_open = True
        elif name == "content_block_start":
            self.block_open = True
        elif name == "content_block_stop":
            self.block_open = False
        elif name == "message_stop":
            self.message_open = False

    def _error_frames(self, event: ConversationalErrorEvent) -> Iterator[str]:
        # A partial answer is closed first, so the explanation arrives as a message of its own.
        if self.block_open:
            yield content_block_stop(0)
        if self.message_open:
            yield message_stop("error")
        if not self.finished:
            self._store_quietly(event.message, stop_reason="error")
        yield from conversational_error_frames(event)

    def _store_partial(self) -> None:
        if not self.finished and self.collector.text:
            self._store_quietly(self.collector.text, stop_reason="cancelled")
        self.finished = True

    def _store_quietly(self, text: str, *, stop_reason: str) -> None:
        try:
            self.service.store_answer(self, text, stop_reason=stop_reason)
        except ApisError:
            # JUSTIFICATION: the turn has already failed (or the client left) and the
            # client is told so; storing the reply text is best effort and its
            # failure is logged. The history reader joins the unanswered turn.
            logger.exception("could not store the reply of session %s", self.session_id)
        self.finished = True


def _final_metadata(collector: AnswerCollector, elapsed_ms: int, ttft_ms: int, cost: Decimal | None) -> str:
    data: dict[str, Any] = {"metrics": {"latencyMs": elapsed_ms, "timeToFirstByteMs": ttft_ms}}
    if collector.usage:
        data["usage"] = collector.usage
    if cost is not None:
        data["cost"] = float(cost)
    return format_sse("metadata", data)


class ChatService:
    def __init__(
        self,
        *,
        sessions: SessionService,
        session_store: SessionStore,
        managed_models: ManagedModelService,
        app_roles: AppRoleService,
        files: FileResolver,
        assistants: AssistantService,
        knowledge_base: KnowledgeBase,
        quota: QuotaChecker | None,
        costs: CostRepository,
        provider: ModelProviderProtocol,
        default_model_id: str,
        max_history_messages: int = 100,
        expose_error_text: bool = False,
    ) -> None:
        self._sessions = sessions
        self._store = session_store
        self._models = managed_models
        self._app_roles = app_roles
        self._files = files
        self._assistants = assistants
        self._kb = knowledge_base
        self._quota = quota
        self._costs = costs
        self.provider = provider
        self._default_model_id = default_model_id
        self._max_history = max_history_messages
        self.expose_error_text = expose_error_text

    # ------------------------------------------------------------------ before the stream

    def start(self, user: User, body: InvocationRequest) -> ChatStream:
        """Check everything, store the user's message, and return the turn to stream."""
        if body.provider not in (None, "bedrock"):
            raise BadRequestError(f"The {body.provider} provider is not available on this platform", field="provider")
        permissions = self._app_roles.resolve_user_permissions(user)
        model = self._model(user, body.model_id, permissions)
        blocks, attached = self._attachments(user, body)
        session = self._store.get(body.session_id, user.user_id)
        grounding = self._grounding(user, body, session)
        quota_warning, quota_exceeded = self._check_quota(user, permissions.app_roles)
        history = self._history(body.session_id, user.user_id) if session is not None else []
        preferences = UpdateSessionMetadataRequest(last_model=body.model_id, assistant_id=grounding.assistant_id)
        self._sessions.update_metadata(body.session_id, user.user_id, preferences)
        self._store.append_message(body.session_id, user.user_id, Message(
            role="user", content=[MessageContent(text=body.message + attached_files_marker(attached))],
            timestamp=_now()))  # fmt: skip
        turn_content: tuple[ContentBlock, ...] = (*blocks, TextBlock(grounding.prompt))
        if history and history[-1].role == "user":
            history[-1] = ChatTurn(role="user", content=(*history[-1].content, *turn_content))
        else:
            history.append(ChatTurn(role="user", content=turn_content))
        caching = body.caching_enabled if body.caching_enabled is not None else bool(model and model.supports_caching)
        request = ModelRequest(
            model_id=model.model_id if model else self._default_model_id,
            messages=tuple(history),
            system_prompt=grounding.system_prompt,
            temperature=body.temperature,
            max_tokens=body.max_tokens or (model.max_output_tokens if model else None),
            caching=caching,
        )
        return ChatStream(
            self, user, body.session_id, request, model, grounding.citations, quota_warning, quota_exceeded
        )

    def _model(self, user: User, model_id: str | None, permissions: UserEffectivePermissions) -> ManagedModel | None:
        """The managed model the request names, with access checked; for the system default, its entry.

        The client falls back to the system default (``model_id: null``) when
        it has no model of its own, so that one is open to everyone; its
        catalogue entry, when there is one, still prices the answer.
        """
        if model_id is None:
            return self._models.get_by_model_id(self._default_model_id)
        model = self._models.get_by_model_id(model_id)
        if model is None:
            raise BadRequestError(f"Unknown model {model_id}", field="model_id")
        if not can_access_model(model, user, permissions):
            raise PermissionDeniedError(f"Model {model_id} is not available to you", field="model_id")
        return model

    def _attachments(self, user: User, body: InvocationRequest) -> tuple[list[ContentBlock], list[str]]:
        """The files as model blocks, and their names for the stored message."""
        resolved = self._files.resolve_files(user.user_id, body.file_upload_ids) if body.file_upload_ids else []
        files = [(f.filename, f.content_type, f.bytes) for f in body.files]
        files += [(f.filename, f.content_type, f.bytes) for f in resolved]
        blocks = [content_block(name, kind, data, index) for index, (name, kind, data) in enumerate(files)]
        return blocks, [name for name, _, _ in files]

    def _grounding(self, user: User, body: InvocationRequest, session: SessionMetadata | None) -> Grounding:
        """The text and system prompt to send, the citations, and the assistant the session is bound to."""
        preferences = session.preferences if session is not None else None
        bound = preferences.assistant_id if preferences is not None else None
        if body.assistant_id is None:
            return Grounding(body.message, body.system_prompt or base_system_prompt(), [], bound)
        if bound is not None and bound != body.assistant_id:
            raise BadRequestError("This conversation belongs to another assistant", field="assistant_id")
        if bound is None and session is not None and session.message_count > 0:
            raise BadRequestError("An assistant cannot join a conversation that has started", field="assistant_id")
        assistant = self._assistants.get_with_access_check(body.assistant_id, user.user_id, user.email)
        if assistant.owner_id != user.user_id:
            self._assistants.mark_share_as_interacted(assistant.assistant_id, user.email)
        hits = self._kb.search(assistant.assistant_id, body.message, RAG_TOP_K)
        citations = [
            Citation(
                assistant_id=assistant.assistant_id,
                document_id=str(hit.metadata.get("document_id") or hit.key.split("#", 1)[0]),
                file_name=str(hit.metadata.get("source") or ""),
                text=hit.text[:CITATION_TEXT_CHARS],
            )
            for hit in hits
        ]
        prompt = augment_prompt_with_context(body.message, [{"text": hit.text} for hit in hits])
        return Grounding(prompt, assistant_system_prompt(assistant.instructions), citations, assistant.assistant_id)

    def _check_quota(
        self, user: User, app_role_ids: list[str]
    ) -> tuple[QuotaWarningEvent | None, QuotaExceededEvent | None]:
        if self._quota is None:
            return None, None
        result = self._quota.check(user, app_role_ids)
        if not result.allowed:
            return None, build_quota_exceeded_event(result)
        return build_quota_warning_event(result), None

    def _history(self, session_id: str, user_id: str) -> list[ChatTurn]:
        if not self._max_history:
            return []
        return history_turns(self._store.recent_messages(session_id, user_id, limit=self._max_history))

    # ------------------------------------------------------------------ after the stream

    def store_answer(
        self,
        stream: ChatStream,
        text: str,
        *,
        stop_reason: str | None = None,
        latency: tuple[int, int] | None = None,
    ) -> Decimal | None:
        """Store the assistant's message (and its cost, when the model reported usage)."""
        collector = stream.collector
        usage = TokenUsage(
            input_tokens=collector.usage.get("inputTokens", 0),
            output_tokens=collector.usage.get("outputTokens", 0),
            cache_read_input_tokens=collector.usage.get("cacheReadInputTokens", 0),
            cache_write_input_tokens=collector.usage.get("cacheWriteInputTokens", 0),
        )
        pricing = _pricing(stream.model, stream.request.model_id)
        cost, savings = message_cost(usage, pricing) if collector.usage else (None, Decimal(0))
        timestamp = _now()
        # Kept beside the contract's fields: why the answer ended (end_turn, max_tokens, cancelled, error…).
        extra: dict[str, Any] = {"stopReason": stop_reason or collector.stop_reason}
        metadata = MessageMetadata(
            latency=LatencyMetrics(time_to_first_token=latency[0], end_to_end_latency=latency[1]) if latency else None,
            token_usage=MessageTokenUsage(
                input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, total_tokens=usage.total_tokens,
                cache_read_input_tokens=usage.cache_read_input_tokens,
                cache_write_input_tokens=usage.cache_write_input_tokens,
            ) if collector.usage else None,
            model_info=ModelInfo(model_id=pricing.model_id, model_name=pricing.model_name, provider=pricing.provider,
                                 pricing_snapshot=pricing.model_dump(mode="json", by_alias=True)),
            attribution=Attribution(user_id=stream.user.user_id, session_id=stream.session_id, timestamp=timestamp),
            cost=float(cost) if cost is not None else None,
            citations=stream.citations or None,
            **extra,
        )  # fmt: skip
        index = self._store.append_message(stream.session_id, stream.user.user_id, Message(
            role="assistant", content=[MessageContent(text=text)], timestamp=timestamp, metadata=metadata))  # fmt: skip
        if cost is not None:
            self._costs.record(CostRecord(
                user_id=stream.user.user_id, session_id=stream.session_id, message_id=index, timestamp=timestamp,
                usage=usage, pricing=pricing, cost=cost, cache_savings=savings))  # fmt: skip
        return cost


def _pricing(model: ManagedModel | None, model_id: str) -> PricingSnapshot:
    if model is None:
        return PricingSnapshot(model_id=model_id)
    return PricingSnapshot(
        model_id=model.model_id,
        model_name=model.model_name,
        provider=str(model.provider),
        input_price_per_million_tokens=model.input_price_per_million_tokens,
        output_price_per_million_tokens=model.output_price_per_million_tokens,
        cache_write_price_per_million_tokens=model.cache_write_price_per_million_tokens,
        cache_read_price_per_million_tokens=model.cache_read_price_per_million_tokens,
    )


def _now() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
