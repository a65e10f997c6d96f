"""The model catalogue: the managed models administrators make available, and who may use which."""

from apis.shared.catalog.models import (
    ManagedModel,
    ManagedModelCreate,
    ManagedModelsListResponse,
    ManagedModelUpdate,
    ProviderKind,
)
from apis.shared.catalog.repository import (
    MANAGED_MODELS_TABLE,
    MODEL_ID_INDEX,
    DuplicateModelIdError,
    ManagedModelNotFoundError,
    ManagedModelRepository,
)
from apis.shared.catalog.service import ManagedModelService, ModelNotConfiguredError, ResolvedModel, can_access_model

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
    "ModelNotConfiguredError",
    "ProviderKind",
    "ResolvedModel",
    "can_access_model",
]
