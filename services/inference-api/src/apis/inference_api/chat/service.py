"""One chat turn: every check before the first byte, then the stream, then what is persisted.

``ChatService.start`` does all that can refuse a request while an HTTP status
can still say so: the model and the caller's access to it (named or the System
Default, through ``ModelMeter``), attached files, the assistant and its session
rules, the session's turn lease, the quota (reserving the turn's cost bound),
the history; it then stores the user's message. ``ChatStream.frames`` yields
the SSE frames the client parses and, at the end, stores the assistant's
message and its cost. A failure after the first byte is the conversational
error sequence, ``done`` last. A client that goes away stops generation; the
partial answer is stored and charged, so the conversation stays whole and
nothing generated goes unpaid.

One turn at a time per session: a turn that arrives while another is being
answered is refused with 409 rather than queued. The client never sends two
turns of one conversation at once (its input is disabled while a reply
streams), so a second one is a retry or a misbehaving caller; queueing it
would hold a connection and a worker thread for the length of another answer,
and then answer a question against a history its sender never saw.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
    build_conversational_error_event,
    conversational_error_for,
    conversational_error_frames,
    format_sse,
)
from apis.shared.models import ChatTurn, ModelRequest, TextBlock
from apis.shared.models.sse import (
    AnswerCollector,
    citation_frame,
    content_block_stop,
    done_frame,
    message_stop,
    model_answer_frames,
)
from apis.shared.quota import build_quota_exceeded_event, build_quota_warning_event
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
    from decimal import Decimal

    from apis.inference_api.chat.models import InvocationRequest
    from apis.shared.assistants import AssistantService, KnowledgeBase
    from apis.shared.auth import User
    from apis.shared.files import FileResolver
    from apis.shared.metering import MeteredCall, ModelMeter
    from apis.shared.models import ContentBlock, ModelProviderProtocol
    from apis.shared.quota import QuotaExceededEvent, QuotaWarningEvent
    from apis.shared.rbac import AppRoleService
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
    """A started turn: the user's message is stored; ``frames`` streams and stores the answer.

    It holds the session's turn lease and the call's quota reservation until the
    answer and its cost are stored, and gives both back on every way out of ``frames``.
    """

    service: ChatService
    user: User
    session_id: str
    call: MeteredCall
    turn_id: str
    question_index: int
    citations: list[Citation] = field(default_factory=list)
    quota_warning: QuotaWarningEvent | None = None
    quota_exceeded: QuotaExceededEvent | None = None
    collector: AnswerCollector = field(default_factory=AnswerCollector)
    finished: bool = False
    answer_index: int | None = None
    message_open: bool = False
    block_open: bool = False
    lease_renewed_at: float = field(default_factory=time.monotonic)

    @property
    def request(self) -> ModelRequest:
        return self.call.request

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
            # JUSTIFICATION: the headers are sent, so the failure can only be told in the stream:
            # the conversational error sequence, ``done`` last. Logged.
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
        finally:
            self.service.settle(self)

    def _answer_frames(self) -> Iterator[str]:
        started = time.monotonic()
        first_token: float | None = None
        if self.quota_warning is not None:
            yield self.quota_warning.to_sse_format()
        for citation in self.citations:
            yield citation_frame(citation)
        events = self.call.stream(self.service.provider)
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
                self.service.renew_lease_if_due(self)
        finally:
            # Stop the model now, not when the generator is collected (a client that left).
            events.close()
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
        if not self.finished and self.answer_index is None:
            self._store_quietly(event.message, stop_reason="error")
        self.finished = True
        yield from conversational_error_frames(event)

    def _store_partial(self) -> None:
        if not self.finished and self.answer_index is None and self.collector.text:
            self._store_quietly(self.collector.text, stop_reason="cancelled")
        self.finished = True

    def _store_quietly(self, text: str, *, stop_reason: str) -> None:
        try:
            self.service.store_answer(self, text, stop_reason=stop_reason)
        except ApisError:
            # JUSTIFICATION: the turn has already failed (or the client left) and the
            # client is told so; storing the reply text is best effort and its
            # failure is logged. The history reader joins the unanswered turn, and
            # ``ChatService.settle`` still charges what was generated.
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
        app_roles: AppRoleService,
        meter: ModelMeter,
        files: FileResolver,
        assistants: AssistantService,
        knowledge_base: KnowledgeBase,
        provider: ModelProviderProtocol,
        default_model_id: str,
        max_history_messages: int = 100,
        turn_lease_seconds: float = 120.0,
        expose_error_text: bool = False,
    ) -> None:
        self._sessions = sessions
        self._store = session_store
        self._app_roles = app_roles
        self._meter = meter
        self._files = files
        self._assistants = assistants
        self._kb = knowledge_base
        self.provider = provider
        self._default_model_id = default_model_id
        self._max_history = max_history_messages
        self._lease_seconds = turn_lease_seconds
        self.expose_error_text = expose_error_text

    # ------------------------------------------------------------------ before the stream

    def start(self, user: User, body: InvocationRequest) -> ChatStream:
        """Check everything, store the user's message, and return the turn to stream.

        ``model_id: null`` (the System Default) is the configured default model, checked
        and priced exactly as a model named by the request.

        Raises:
            TurnInProgressError: another turn of this session is being answered (409).
        """
        if body.provider not in (None, "bedrock"):
            raise BadRequestError(f"The {body.provider} provider is not available on this platform", field="provider")
        permissions = self._app_roles.resolve_user_permissions(user)
        model = self._meter.resolve(user, body.model_id, default_model_id=self._default_model_id,
                                    permissions=permissions)  # fmt: skip
        blocks, attached = self._attachments(user, body)
        session = self._store.get(body.session_id, user.user_id)
        grounding = self._grounding(user, body, session)
        turn_id = self._store.begin_turn(body.session_id, user.user_id, lease_seconds=self._lease_seconds)
        call: MeteredCall | None = None
        try:
            history = self._history(body.session_id, user.user_id) if session is not None else []
            turn_content: tuple[ContentBlock, ...] = (*blocks, TextBlock(grounding.prompt))
            if history and history[-1].role == "user":
                history[-1] = ChatTurn(role="user", content=(*history[-1].content, *turn_content))
            else:
                history.append(ChatTurn(role="user", content=turn_content))
            request = ModelRequest(
                model_id=model.model_id,
                messages=tuple(history),
                system_prompt=grounding.system_prompt,
                temperature=body.temperature,
                max_tokens=body.max_tokens or model.max_output_tokens,
                caching=body.caching_enabled if body.caching_enabled is not None else model.supports_caching,
            )
            call = self._meter.admit(user, model, request, app_role_ids=permissions.app_roles)
            quota = call.quota
            refused = quota is not None and not quota.allowed
            quota_exceeded = build_quota_exceeded_event(quota) if quota is not None and refused else None
            quota_warning = build_quota_warning_event(quota) if quota is not None and not refused else None
            preferences = UpdateSessionMetadataRequest(last_model=body.model_id, assistant_id=grounding.assistant_id)
            self._sessions.update_metadata(body.session_id, user.user_id, preferences)
            question_index = self._store.append_message(body.session_id, user.user_id, Message(
                role="user", content=[MessageContent(text=body.message + attached_files_marker(attached))],
                timestamp=_now()))  # fmt: skip
        except BaseException:
            # Refused before the stream: the model was not called, so there is nothing to charge.
            if call is not None:
                call.release()
            self._end_turn(body.session_id, user.user_id, turn_id)
            raise
        return ChatStream(self, user, body.session_id, call, turn_id, question_index, grounding.citations,
                          quota_warning, quota_exceeded)  # fmt: skip

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
        assistant = self._assistants.get_with_access_check(body.assistant_id, user.user_id, user.verified_email)
        if assistant.owner_id != user.user_id:
            self._assistants.mark_share_as_interacted(assistant.assistant_id, user.verified_email)
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

    def _history(self, session_id: str, user_id: str) -> list[ChatTurn]:
        if not self._max_history:
            return []
        return history_turns(self._store.recent_messages(session_id, user_id, limit=self._max_history))

    # ------------------------------------------------------------------ during and after the stream

    def renew_lease_if_due(self, stream: ChatStream) -> None:
        """Keep the session's turn lease while the answer streams (renewed every third of its length)."""
        now = time.monotonic()
        if now - stream.lease_renewed_at < self._lease_seconds / 3:
            return
        stream.lease_renewed_at = now
        try:
            kept = self._store.renew_turn(stream.session_id, stream.user.user_id, stream.turn_id,
                                          lease_seconds=self._lease_seconds)  # fmt: skip
        except ApisError:
            # JUSTIFICATION: the lease only keeps other turns of this session out; the answer
            # in progress matters more. A later frame tries again; logged.
            logger.warning("could not renew the turn lease of session %s", stream.session_id, exc_info=True)
            return
        if not kept:
            logger.warning("the turn lease of session %s expired while its answer streamed", stream.session_id)

    def store_answer(
        self,
        stream: ChatStream,
        text: str,
        *,
        stop_reason: str | None = None,
        latency: tuple[int, int] | None = None,
    ) -> Decimal | None:
        """Store the assistant's message (``text``), then charge what the model generated.

        The charge is the model's usage report or, when none arrived (a failure or a
        client that left mid-answer), an estimate from the text sent and generated,
        marked on the message (``costEstimated``) and on the cost record (``estimated``).
        """
        charge = stream.call.charge()
        pricing = charge.pricing if charge is not None else stream.call.model.pricing
        usage = charge.usage if charge is not None else None
        timestamp = _now()
        # Kept beside the contract's fields: why the answer ended (end_turn, max_tokens, cancelled, error…).
        extra: dict[str, Any] = {"stopReason": stop_reason or stream.collector.stop_reason}
        if charge is not None and charge.estimated:
            extra["costEstimated"] = True
        metadata = MessageMetadata(
            latency=LatencyMetrics(time_to_first_token=latency[0], end_to_end_latency=latency[1]) if latency else None,
            token_usage=MessageTokenUsage(
                input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, total_tokens=usage.total_tokens,
                cache_read_input_tokens=usage.cache_read_input_tokens,
                cache_write_input_tokens=usage.cache_write_input_tokens,
            ) if usage is not None else None,
            model_info=ModelInfo(model_id=pricing.model_id, model_name=pricing.model_name, provider=pricing.provider,
                                 pricing_snapshot=pricing.model_dump(mode="json", by_alias=True)),
            attribution=Attribution(user_id=stream.user.user_id, session_id=stream.session_id, timestamp=timestamp),
            cost=float(charge.cost) if charge is not None else None,
            citations=stream.citations or None,
            **extra,
        )  # fmt: skip
        stream.answer_index = self._store.append_message(stream.session_id, stream.user.user_id, Message(
            role="assistant", content=[MessageContent(text=text)], timestamp=timestamp, metadata=metadata))  # fmt: skip
        recorded = stream.call.record(session_id=stream.session_id, message_id=stream.answer_index, purpose="chat",
                                      timestamp=timestamp)  # fmt: skip
        return recorded.cost if recorded is not None else None

    def settle(self, stream: ChatStream) -> None:
        """On every way out of a turn: charge what is not charged yet, give the reservation and the lease back."""
        try:
            message_id = stream.answer_index if stream.answer_index is not None else stream.question_index + 1
            stream.call.record(session_id=stream.session_id, message_id=message_id, purpose="chat")
        except ApisError:
            # JUSTIFICATION: the turn is over and its client gone or told; the cost could not be
            # recorded (the reservation is given back all the same). Logged at ERROR with the
            # user and the session, to be reconciled.
            logger.exception("could not record the cost of a turn of user %s in session %s",
                             stream.user.user_id, stream.session_id)  # fmt: skip
        finally:
            self._end_turn(stream.session_id, stream.user.user_id, stream.turn_id)

    def _end_turn(self, session_id: str, user_id: str, turn_id: str) -> None:
        try:
            self._store.end_turn(session_id, user_id, turn_id)
        except ApisError:
            # JUSTIFICATION: a lease that cannot be given back expires on its own after
            # turn_lease_seconds; until then the session refuses new turns (409). Logged.
            logger.exception("could not end the turn of session %s", session_id)


def _now() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
