"""``GET /models``: the enabled managed models the caller may use."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from fastapi import APIRouter

from apis.app_api.dependencies import ContainerDep, CurrentUser
from apis.shared.models import ManagedModelsListResponse

__all__ = ["router"]

router = APIRouter(tags=["models"])


@router.get("/models", response_model=ManagedModelsListResponse)
def list_models(user: CurrentUser, container: ContainerDep) -> ManagedModelsListResponse:
    """Managed models filtered by the caller's AppRole permissions (and the legacy role list)."""
    models = container.managed_models.accessible_models(user)
    return ManagedModelsListResponse(models=models, total_count=len(models))
