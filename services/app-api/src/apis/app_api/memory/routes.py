"""``/memory``: the memory page's calls (contract §18, §21), answered for a platform without long-term memory."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from apis.app_api.dependencies import CurrentUser
from apis.app_api.memory.models import (
    MAX_TOP_K,
    AllMemoriesResponse,
    MemoryList,
    MemorySearchRequest,
    MemoryStatusResponse,
)
from apis.app_api.memory.service import NoLongTermMemory

__all__ = ["get_memory", "router"]

router = APIRouter(prefix="/memory", tags=["memory"])

_NO_LONG_TERM_MEMORY = NoLongTermMemory()
_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "Long-term memory is not available on this platform"}
}


def get_memory() -> NoLongTermMemory:
    return _NO_LONG_TERM_MEMORY


MemoryDep = Annotated[NoLongTermMemory, Depends(get_memory)]


@router.get("/status", response_model=MemoryStatusResponse)
def memory_status(user: CurrentUser, memory: MemoryDep) -> MemoryStatusResponse:
    """Always 200: the page breaks on an error here, and shows its own panel when ``available`` is false."""
    return memory.status()


@router.get("", response_model=AllMemoriesResponse)
def all_memories(
    user: CurrentUser,
    memory: MemoryDep,
    top_k: Annotated[int, Query(alias="topK", ge=1, le=MAX_TOP_K)] = 20,
) -> AllMemoriesResponse:
    """The page's list, loaded with the status: empty rather than an error, so no toast."""
    return memory.all_memories(top_k)


@router.post("/search", response_model=MemoryList, responses=_UNAVAILABLE)
def search_memories(body: MemorySearchRequest, user: CurrentUser, memory: MemoryDep) -> MemoryList:
    memory.search(body.query, body.top_k)


@router.get("/preferences", response_model=MemoryList, responses=_UNAVAILABLE)
def memory_preferences(user: CurrentUser, memory: MemoryDep) -> MemoryList:
    memory.preferences()


@router.get("/facts", response_model=MemoryList, responses=_UNAVAILABLE)
def memory_facts(user: CurrentUser, memory: MemoryDep) -> MemoryList:
    memory.facts()


@router.get("/strategies", responses=_UNAVAILABLE)
def memory_strategies(user: CurrentUser, memory: MemoryDep) -> None:
    memory.strategies()


@router.delete("/{record_id}", status_code=204, responses=_UNAVAILABLE)
def delete_memory(record_id: str, user: CurrentUser, memory: MemoryDep) -> None:
    memory.delete(record_id)
