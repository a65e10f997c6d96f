"""The one error the commands raise: a refusal with a message for the person at the terminal."""

from __future__ import annotations

__all__ = ["CommandError"]


class CommandError(Exception):
    """The command cannot go on; the message says why and what to do."""
