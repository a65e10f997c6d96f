"""``GET /ping``: AgentCore Runtime polls it; unauthenticated as that contract requires."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

__all__ = ["PingPublic", "router"]

router = APIRouter(tags=["health"])


class PingPublic(BaseModel):
    """The AgentCore health body, exactly ``{"status": "healthy"}``."""

    status: Literal["healthy"] = "healthy"


@router.get("/ping", response_model=PingPublic)
async def get_ping() -> PingPublic:
    """Report that the runtime can take invocations."""
    return PingPublic()
