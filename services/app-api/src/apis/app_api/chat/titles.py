"""Short conversation titles from a small, fast model, stored on the session."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from apis.shared.errors import ApisError
from apis.shared.models import ChatTurn, ModelRequest, TextBlock, TextDelta
from apis.shared.sessions import UpdateSessionMetadataRequest

if TYPE_CHECKING:
    from apis.shared.models import ModelProviderProtocol
    from apis.shared.sessions import SessionService

__all__ = ["FALLBACK_TITLE", "MAX_TITLE_CHARS", "TitleService"]

logger = logging.getLogger(__name__)

FALLBACK_TITLE = "New Conversation"
MAX_TITLE_CHARS = 50
MAX_INPUT_CHARS = 4000
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
    def __init__(self, model: ModelProviderProtocol, sessions: SessionService, *, model_id: str) -> None:
        self._model = model
        self._sessions = sessions
        self._model_id = model_id

    def generate(self, session_id: str, user_id: str, first_message: str) -> str:
        """Title the session and store it; the fallback title when the model cannot answer."""
        title = self._ask_model(first_message)
        self._sessions.update_metadata(session_id, user_id, UpdateSessionMetadataRequest(title=title))
        return title

    def _ask_model(self, first_message: str) -> str:
        request = ModelRequest(
            model_id=self._model_id,
            messages=(ChatTurn(role="user", content=(TextBlock(_PROMPT + first_message[:MAX_INPUT_CHARS]),)),),
            temperature=0.3,
            max_tokens=50,
        )
        try:
            text = "".join(event.text for event in self._model.stream(request) if isinstance(event, TextDelta))
        except ApisError:
            # JUSTIFICATION: a title is cosmetic and the conversation already exists;
            # when the model fails (throttled, denied, down) the session keeps the
            # default title, as the seed does. Logged with its traceback.
            logger.exception("title generation failed; using %r", FALLBACK_TITLE)
            return FALLBACK_TITLE
        return clean_title(text) or FALLBACK_TITLE
