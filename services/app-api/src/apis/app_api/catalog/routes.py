"""``GET /models``: the enabled managed models the caller may use."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from fastapi import APIRouter

from apis.app_api.dependencies import CurrentUser, ManagedModelsDep
from apis.shared.catalog import ManagedModelsListResponse

__all__ = ["router"]

router = APIRouter(tags=["models"])


@router.get("/models", response_model=ManagedModelsListResponse)
def list_models(user: CurrentUser, managed_models: ManagedModelsDep) -> ManagedModelsListResponse:
    """Managed models filtered by the caller's AppRole permissions (and the legacy role list)."""
    models = managed_models.accessible_models(user)
    return ManagedModelsListResponse(models=models, total_count=len(models))
