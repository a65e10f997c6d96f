"""One chat turn, composed of its steps: admission, context, the model's answer, settlement and persistence.

``ChatService.start`` runs every step that can refuse a request while an HTTP
status can still say so, in this order: the model and the caller's access to it
(``TurnAdmission.choose_model``), attached files, the session, the assistant and
its retrieved passages (``TurnContextBuilder.gather``), the session's turn lease
(``TurnLeases``, 409 for a concurrent turn), the history, the quota
(``TurnAdmission.admit``, reserving the turn's cost bound); it then stores the
question (``TurnPersistence``). Anything refused after the lease is taken gives
the lease and the reservation back; nothing is charged, as no model was called.

``ChatStream.frames`` yields the SSE frames the client parses (``ModelAnswer``)
and, at the end, stores the answer and its cost (``TurnPersistence``,
``TurnSettlement``). A failure after the first byte is the conversational error
sequence, ``done`` last. A client that goes away stops generation; the partial
answer is stored and charged, so the conversation stays whole and nothing
generated goes unpaid. Every way out charges what is not charged yet and gives
the lease back.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apis.inference_api.chat.admission import TurnAdmission
from apis.inference_api.chat.answer import ModelAnswer
from apis.inference_api.chat.context import TurnContextBuilder, model_request
from apis.inference_api.chat.lease import TurnLeases
from apis.inference_api.chat.persistence import TurnPersistence, answer_metadata
from apis.inference_api.chat.settlement import TurnSettlement
from apis.shared.errors import ApisError, ErrorCode
from apis.shared.streaming import (
    build_conversational_error_event,
    citation_frame,
    conversational_error_for,
    conversational_error_frames,
    done_frame,
)
from apis.shared.timestamps import utc_timestamp

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator
    from decimal import Decimal

    from apis.inference_api.chat.admission import AdmittedCall
    from apis.inference_api.chat.lease import TurnLease
    from apis.inference_api.chat.models import InvocationRequest
    from apis.shared.assistants import AssistantService, KnowledgeBase
    from apis.shared.auth import User
    from apis.shared.files import FileResolver
    from apis.shared.metering import ModelMeter
    from apis.shared.providers import ModelProvider, ModelRequest
    from apis.shared.rbac import AppRoleService
    from apis.shared.sessions import Citation, SessionService, SessionStore
    from apis.shared.streaming import ConversationalErrorEvent

__all__ = ["ChatService", "ChatStream"]

logger = logging.getLogger(__name__)


class ChatService:
    """Starts chat turns; ``provider`` is the model every turn streams from."""

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
        provider: ModelProvider,
        default_model_id: str,
        max_history_messages: int = 100,
        turn_lease_seconds: float = 120.0,
        expose_error_text: bool = False,
    ) -> None:
        self.admission = TurnAdmission(app_roles=app_roles, meter=meter, default_model_id=default_model_id)
        self.context = TurnContextBuilder(
            session_store=session_store,
            files=files,
            assistants=assistants,
            knowledge_base=knowledge_base,
            max_history_messages=max_history_messages,
        )
        self.leases = TurnLeases(session_store, lease_seconds=turn_lease_seconds)
        self.persistence = TurnPersistence(sessions=sessions, session_store=session_store)
        self.provider = provider
        self.expose_error_text = expose_error_text

    def start(self, user: User, body: InvocationRequest) -> ChatStream:
        """Check everything, store the question, and return the turn to stream.

        Raises:
            TurnInProgressError: another turn of this session is being answered (409).
        """
        choice = self.admission.choose_model(user, body)
        context = self.context.gather(user, body)
        lease = self.leases.take(body.session_id, user.user_id)
        admitted: AdmittedCall | None = None
        try:
            messages = self.context.conversation(context, body.session_id, user.user_id)
            request = model_request(choice.model, body, context.grounding, messages)
            admitted = self.admission.admit(user, choice, request)
            question_index = self.persistence.store_question(
                body.session_id, user.user_id, text=body.message, filenames=context.attachments.filenames,
                last_model=body.model_id, assistant_id=context.grounding.assistant_id)  # fmt: skip
        except BaseException:
            # Refused before the stream: the model was not called, so there is nothing to charge.
            if admitted is not None:
                admitted.call.release()
            lease.end()
            raise
        return ChatStream(
            user_id=user.user_id,
            session_id=body.session_id,
            question_index=question_index,
            admitted=admitted,
            answer=ModelAnswer(admitted.call, self.provider, after_frame=lease.renew_if_due),
            lease=lease,
            persistence=self.persistence,
            citations=context.grounding.citations,
            expose_error_text=self.expose_error_text,
        )


class ChatStream:
    """A started turn: the question is stored; ``frames`` streams and stores the answer.

    It holds the session's turn lease and the call's quota reservation until the
    answer and its cost are stored, and gives both back on every way out of ``frames``.
    """

    def __init__(
        self,
        *,
        user_id: str,
        session_id: str,
        question_index: int,
        admitted: AdmittedCall,
        answer: ModelAnswer,
        lease: TurnLease,
        persistence: TurnPersistence,
        citations: tuple[Citation, ...] = (),
        expose_error_text: bool = False,
    ) -> None:
        self.user_id = user_id
        self.session_id = session_id
        self.question_index = question_index
        self._admitted = admitted
        self._answer = answer
        self._lease = lease
        self._persistence = persistence
        self._settlement = TurnSettlement(admitted.call, user_id=user_id, session_id=session_id)
        self._citations = citations
        self._expose_error_text = expose_error_text
        self._finished = False
        self.answer_index: int | None = None

    @property
    def request(self) -> ModelRequest:
        """The model request as admitted (bounded by the model's output limit)."""
        return self._admitted.call.request

    def frames(self) -> Generator[str, None, None]:
        try:
            exceeded = self._admitted.quota_exceeded
            if exceeded is not None:
                self._store_answer(exceeded.message, stop_reason="quota_exceeded")
                self._finished = True
                yield from conversational_error_frames(exceeded, stop_reason="quota_exceeded")
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
                exc, session_id=self.session_id, expose_error_text=self._expose_error_text))  # fmt: skip
        except Exception as exc:
            # JUSTIFICATION: the headers are sent, so no handler can answer any more;
            # this is the stream's last-resort translation point: the traceback is
            # logged and the client gets the conversational agent_error sequence.
            logger.exception("chat turn of session %s failed unexpectedly", self.session_id)
            yield from self._error_frames(build_conversational_error_event(
                ErrorCode.AGENT_ERROR, exc, session_id=self.session_id,
                expose_error_text=self._expose_error_text))  # fmt: skip
        finally:
            self._settle()

    def _answer_frames(self) -> Iterator[str]:
        warning = self._admitted.quota_warning
        lead = [warning.to_sse_format()] if warning is not None else []
        lead += [citation_frame(citation) for citation in self._citations]
        yield from self._answer.frames(lead)
        cost = self._store_answer(self._answer.collector.text, latency=self._answer.latency)
        self._finished = True
        yield self._answer.summary_frame(cost)
        yield done_frame()

    def _error_frames(self, event: ConversationalErrorEvent) -> Iterator[str]:
        # A partial answer is closed first, so the explanation arrives as a message of its own.
        yield from self._answer.closing_frames()
        if not self._finished and self.answer_index is None:
            self._store_quietly(event.message, stop_reason="error")
        self._finished = True
        yield from conversational_error_frames(event)

    def _store_answer(
        self, text: str, *, stop_reason: str | None = None, latency: tuple[int, int] | None = None
    ) -> Decimal | None:
        """Store the answer (``text``), then charge it against the answer's message; the cost recorded."""
        timestamp = utc_timestamp()
        metadata = answer_metadata(
            charge=self._settlement.charge(), pricing=self._settlement.pricing, user_id=self.user_id,
            session_id=self.session_id, timestamp=timestamp,
            stop_reason=stop_reason or self._answer.collector.stop_reason, latency=latency, citations=self._citations,
        )  # fmt: skip
        self.answer_index = self._persistence.store_answer(self.session_id, self.user_id, text=text,
                                                           timestamp=timestamp, metadata=metadata)  # fmt: skip
        return self._settlement.record(message_id=self.answer_index, timestamp=timestamp)

    def _store_partial(self) -> None:
        if not self._finished and self.answer_index is None and self._answer.collector.text:
            self._store_quietly(self._answer.collector.text, stop_reason="cancelled")
        self._finished = True

    def _store_quietly(self, text: str, *, stop_reason: str) -> None:
        try:
            self._store_answer(text, stop_reason=stop_reason)
        except ApisError:
            # JUSTIFICATION: the turn has already failed (or the client left) and the
            # client is told so; storing the reply text is best effort and its
            # failure is logged. The history reader joins the unanswered turn, and
            # ``_settle`` still charges what was generated.
            logger.exception("could not store the reply of session %s", self.session_id)
        self._finished = True

    def _settle(self) -> None:
        """On every way out: charge what is not charged yet, give the reservation and the lease back."""
        try:
            message_id = self.answer_index if self.answer_index is not None else self.question_index + 1
            self._settlement.settle(message_id=message_id)
        finally:
            self._lease.end()
