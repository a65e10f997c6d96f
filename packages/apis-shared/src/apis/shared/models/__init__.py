"""Managed models (administration, access filtering) and model invocation (providers, stream events).

The chat stream's SSE frame builders are in ``apis.shared.models.sse``.
"""

from apis.shared.models.bedrock import BedrockModelProvider, translate_bedrock_error
from apis.shared.models.invocation import (
    ChatTurn,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    ModelAccessDeniedError,
    ModelEvent,
    ModelInvocationError,
    ModelRequest,
    ModelRequestInvalidError,
    ModelThrottledError,
    ModelTimeoutError,
    ModelUnavailableError,
    StreamStop,
    TextBlock,
    TextDelta,
    UsageReport,
)
from apis.shared.models.invocation import ModelProvider as ModelProviderProtocol
from apis.shared.models.local import LocalModelProvider, ProviderConfigurationError
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
from apis.shared.models.service import ManagedModelService, ModelNotConfiguredError, ResolvedModel, can_access_model

__all__ = [
    "MANAGED_MODELS_TABLE",
    "MODEL_ID_INDEX",
    "BedrockModelProvider",
    "ChatTurn",
    "ContentBlock",
    "DocumentBlock",
    "DuplicateModelIdError",
    "ImageBlock",
    "LocalModelProvider",
    "ManagedModel",
    "ManagedModelCreate",
    "ManagedModelNotFoundError",
    "ManagedModelRepository",
    "ManagedModelService",
    "ManagedModelUpdate",
    "ManagedModelsListResponse",
    "ModelAccessDeniedError",
    "ModelEvent",
    "ModelInvocationError",
    "ModelNotConfiguredError",
    "ModelProvider",
    "ModelProviderProtocol",
    "ModelRequest",
    "ModelRequestInvalidError",
    "ModelThrottledError",
    "ModelTimeoutError",
    "ModelUnavailableError",
    "ProviderConfigurationError",
    "ResolvedModel",
    "StreamStop",
    "TextBlock",
    "TextDelta",
    "UsageReport",
    "can_access_model",
    "get_managed_model",
    "list_managed_models",
    "translate_bedrock_error",
]
