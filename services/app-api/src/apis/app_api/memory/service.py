"""The platform's long-term memory: there is none.

The web client's memory page asks for the status and the list on load; both
answer truthfully (unavailable, nothing stored) with a 200, so the page shows
its own "memory off" panel instead of an error toast. Everything else is a 503:
there is nothing to search, delete or describe.
"""

from __future__ import annotations

from typing import NoReturn

from apis.app_api.memory.models import AllMemoriesResponse, MemoryList, MemoryStatusResponse
from apis.shared.errors import DependencyUnavailableError

__all__ = ["MEMORY_MODE", "MemoryUnavailableError", "NoLongTermMemory"]

# What the page shows as "Current mode": no memory backend is configured.
MEMORY_MODE = "none"


class MemoryUnavailableError(DependencyUnavailableError):
    """A memory operation was asked for on a platform without long-term memory."""

    default_message = "Long-term memory is not available on this platform"


class NoLongTermMemory:
    """Memory as this platform has it: reported unavailable, empty, and refusing every other operation."""

    def status(self) -> MemoryStatusResponse:
        return MemoryStatusResponse(status="unavailable", available=False, mode=MEMORY_MODE)

    def all_memories(self, top_k: int) -> AllMemoriesResponse:
        """Nothing is stored, whatever ``top_k`` asks for."""
        return AllMemoriesResponse(preferences=_empty(), facts=_empty())

    def search(self, query: str, top_k: int) -> NoReturn:
        raise MemoryUnavailableError

    def delete(self, record_id: str) -> NoReturn:
        raise MemoryUnavailableError

    def preferences(self) -> NoReturn:
        raise MemoryUnavailableError

    def facts(self) -> NoReturn:
        raise MemoryUnavailableError

    def strategies(self) -> NoReturn:
        raise MemoryUnavailableError


def _empty() -> MemoryList:
    return MemoryList(memories=[], namespace="", total_count=0)
