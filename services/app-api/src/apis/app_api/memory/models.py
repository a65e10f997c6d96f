"""The shapes of the client's memory page (contract §18)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from apis.shared.schema import CamelModel

__all__ = [
    "MAX_TOP_K",
    "AllMemoriesResponse",
    "MemoryList",
    "MemoryRecord",
    "MemorySearchRequest",
    "MemoryStatusResponse",
]

MAX_TOP_K = 100


class MemoryStatusResponse(CamelModel):
    """``GET /memory/status``: the page shows its own "not configured" panel when ``available`` is false."""

    status: Literal["available", "unavailable"]
    available: bool
    # Shown to the user as "Current mode: {mode}".
    mode: str


class MemoryRecord(CamelModel):
    record_id: str | None = None
    content: str
    created_at: str | None = None
    relevance_score: float | None = None


class MemoryList(CamelModel):
    memories: list[MemoryRecord]
    namespace: str
    total_count: int


class AllMemoriesResponse(CamelModel):
    """``GET /memory``: both kinds of memory the page lists."""

    preferences: MemoryList
    facts: MemoryList


class MemorySearchRequest(CamelModel):
    query: str = Field(min_length=1, max_length=1000)
    top_k: int = Field(default=20, ge=1, le=MAX_TOP_K)
