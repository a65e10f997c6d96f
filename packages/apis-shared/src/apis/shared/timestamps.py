"""Moments as the platform stores them: ISO 8601 text in UTC ending in ``Z``, sortable as strings.

Every domain takes its clock text from here, so one spelling of a moment is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

__all__ = ["format_utc", "parse_utc", "utc_timestamp"]

Timespec = Literal["auto", "milliseconds"]


def format_utc(moment: datetime, *, timespec: Timespec = "auto") -> str:
    """``moment`` (which must carry its offset) as UTC text with ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def utc_timestamp(*, timespec: Timespec = "milliseconds") -> str:
    """Now as UTC text with ``Z``; milliseconds unless a table has always stored ``auto`` (microseconds)."""
    return format_utc(datetime.now(tz=UTC), timespec=timespec)


def parse_utc(text: str) -> datetime:
    """A stored moment (``...Z`` or with an offset) as an aware ``datetime``."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
