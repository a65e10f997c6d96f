"""A clock tests set by hand, for code that takes ``clock=`` (monotonic or wall-clock seconds)."""

from __future__ import annotations

__all__ = ["ManualClock"]


class ManualClock:
    """Returns ``now``; a test moves time by assigning or adding to it."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
