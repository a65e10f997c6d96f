"""Managed models: models, repository, administration and access filtering."""

from apis.shared.models.managed_models import get_managed_model, list_managed_models
from apis.shared.models.models import (
    ManagedModel,
    ManagedModelCreate,
    ManagedModelsListResponse,
    ManagedModelUpdate,
    ModelProvider,
)
from apis.shared.models.repository import (
    MANAGED_MODELS_TABLE,
    MODEL_ID_INDEX,
    DuplicateModelIdError,
    ManagedModelNotFoundError,
    ManagedModelRepository,
)
from apis.shared.models.service import ManagedModelService, can_access_model

__all__ = [
    "MANAGED_MODELS_TABLE",
    "MODEL_ID_INDEX",
    "DuplicateModelIdError",
    "ManagedModel",
    "ManagedModelCreate",
    "ManagedModelNotFoundError",
    "ManagedModelRepository",
    "ManagedModelService",
    "ManagedModelUpdate",
    "ManagedModelsListResponse",
    "ModelProvider",
    "can_access_model",
    "get_managed_model",
    "list_managed_models",
]
