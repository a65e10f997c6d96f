"""Short conversation titles from a small, fast model, stored on the session.

A title is a model call like any other: the title model is resolved through the
catalogue (enabled, open to the caller, priced), the caller's quota is checked
before and the call is charged to them after (``apis.shared.metering``). Only a
model that is busy, down or too slow gives the fallback title; any other
failure (the model refused, the request invalid, the quota used up, a storage
failure) is an error with its own status.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apis.shared.providers import (
    ChatTurn,
    ModelRequest,
    ModelThrottledError,
    ModelTimeoutError,
    ModelUnavailableError,
    TextBlock,
    TextDelta,
)
from apis.shared.sessions import UpdateSessionMetadataRequest

if TYPE_CHECKING:
    from apis.shared.auth import User
    from apis.shared.catalog import ResolvedModel
    from apis.shared.metering import ModelMeter
    from apis.shared.providers import ModelProvider
    from apis.shared.sessions import SessionService

__all__ = ["FALLBACK_TITLE", "MAX_TITLE_CHARS", "TitleService"]

logger = logging.getLogger(__name__)

FALLBACK_TITLE = "New Conversation"
MAX_TITLE_CHARS = 50
MAX_INPUT_CHARS = 4000
MAX_TITLE_TOKENS = 50
_PROMPT = (
    "Write a title of at most six words for a conversation that starts with the message below. "
    "Answer with the title only: no quotes, no punctuation at the end.\n\n"
)


def clean_title(raw: str) -> str:
    """One line, no wrapping quotes or trailing period, at most ``MAX_TITLE_CHARS`` characters."""
    line = next((part.strip() for part in raw.splitlines() if part.strip()), "")
    line = line.strip().strip("\"'`*#").strip().rstrip(".").strip()
    if len(line) > MAX_TITLE_CHARS:
        line = line[: MAX_TITLE_CHARS - 1].rstrip() + "…"
    return line


class TitleService:
    def __init__(self, model: ModelProvider, sessions: SessionService, *, model_id: str, meter: ModelMeter) -> None:
        self._model = model
        self._sessions = sessions
        self._model_id = model_id
        self._meter = meter

    def generate(self, session_id: str, user: User, first_message: str) -> str:
        """Title the session and store it; the fallback title when the model is busy, down or too slow.

        Raises:
            PermissionDeniedError: the title model is disabled or not open to ``user`` (403).
            ModelNotConfiguredError: the title model is not in the catalogue or has no price (503).
            QuotaExceededError: ``user``'s quota is used up (429).
            ModelInvocationError: the model refused the request (its own status).
        """
        title = self._ask_model(session_id, user, first_message)
        self._sessions.update_metadata(session_id, user.user_id, UpdateSessionMetadataRequest(title=title))
        return title

    def _ask_model(self, session_id: str, user: User, first_message: str) -> str:
        def request(model: ResolvedModel) -> ModelRequest:
            text = _PROMPT + first_message[:MAX_INPUT_CHARS]
            return ModelRequest(model_id=model.model_id, messages=(ChatTurn(role="user", content=(TextBlock(text),)),),
                                temperature=0.3, max_tokens=MAX_TITLE_TOKENS)  # fmt: skip

        call = self._meter.begin(user, model_id=None, default_model_id=self._model_id, request=request)
        call.refuse_if_over_quota()
        try:
            text = "".join(event.text for event in call.stream(self._model) if isinstance(event, TextDelta))
        except (ModelThrottledError, ModelUnavailableError, ModelTimeoutError):
            # JUSTIFICATION: a title is cosmetic and the conversation already exists; when the
            # model is busy, down or too slow the session keeps the default title, as the
            # seed does (what it generated before failing is still charged, below). Logged
            # with its traceback. Every other failure propagates with its status.
            logger.warning("title generation failed; using %r", FALLBACK_TITLE, exc_info=True)
            return FALLBACK_TITLE
        finally:
            call.record(session_id=session_id, purpose="title")
        return clean_title(text) or FALLBACK_TITLE
