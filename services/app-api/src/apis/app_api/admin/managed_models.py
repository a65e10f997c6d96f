"""``/admin/managed-models``: the whole model catalogue for administrators; the path id is ``ManagedModel.id``."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from fastapi import APIRouter, Response, status

from apis.app_api.dependencies import AdminUser, ManagedModelsDep
from apis.shared.catalog import ManagedModel, ManagedModelCreate, ManagedModelsListResponse, ManagedModelUpdate

__all__ = ["router"]

router = APIRouter(prefix="/managed-models", tags=["admin: managed models"])


@router.get("", response_model=ManagedModelsListResponse)
def list_managed_models(admin: AdminUser, managed_models: ManagedModelsDep) -> ManagedModelsListResponse:
    models = managed_models.list_all()
    return ManagedModelsListResponse(models=models, total_count=len(models))


@router.post("", response_model=ManagedModel, status_code=status.HTTP_201_CREATED)
def create_managed_model(body: ManagedModelCreate, admin: AdminUser, managed_models: ManagedModelsDep) -> ManagedModel:
    """A second model with the same ``modelId`` is refused."""
    return managed_models.create(body)


@router.get("/{model_uuid}", response_model=ManagedModel)
def get_managed_model(model_uuid: str, admin: AdminUser, managed_models: ManagedModelsDep) -> ManagedModel:
    return managed_models.get(model_uuid)


@router.put("/{model_uuid}", response_model=ManagedModel)
def update_managed_model(
    model_uuid: str, body: ManagedModelUpdate, admin: AdminUser, managed_models: ManagedModelsDep
) -> ManagedModel:
    return managed_models.update(model_uuid, body)


@router.delete("/{model_uuid}", status_code=status.HTTP_204_NO_CONTENT)
def delete_managed_model(model_uuid: str, admin: AdminUser, managed_models: ManagedModelsDep) -> Response:
    managed_models.delete(model_uuid)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
