"""``GET /health``: unauthenticated on purpose, the ALB target-group check calls it."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import APIRouter

import apis.shared
from apis.app_api import SERVICE_NAME
from apis.app_api.health.models import HealthPublic

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic, response_model_by_alias=True)
async def get_health() -> HealthPublic:
    """Report that the process serves requests, and which versions it runs."""
    return HealthPublic(
        service=SERVICE_NAME,
        version=version(SERVICE_NAME),
        apis_shared_version=apis.shared.__version__,
    )
