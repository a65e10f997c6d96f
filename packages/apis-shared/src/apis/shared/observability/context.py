"""The request id of the work in progress, visible to every log record and error body."""

from __future__ import annotations

from contextvars import ContextVar, Token

__all__ = ["bind_request_id", "get_request_id", "reset_request_id"]

_request_id: ContextVar[str | None] = ContextVar("apis_request_id", default=None)


def get_request_id() -> str | None:
    """Return the current request id, or None outside a request."""
    return _request_id.get()


def bind_request_id(request_id: str) -> Token[str | None]:
    """Make ``request_id`` current; pass the token to ``reset_request_id`` when done."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    """Restore the request id that was current before ``bind_request_id``."""
    _request_id.reset(token)
