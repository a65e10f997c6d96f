"""Calling a model: the ``ModelProvider`` protocol, its request and stream events, its errors, and the providers."""

from apis.shared.providers.bedrock import BedrockModelProvider
from apis.shared.providers.local import LocalModelProvider, ProviderConfigurationError
from apis.shared.providers.protocol import (
    ChatTurn,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    ModelAccessDeniedError,
    ModelEvent,
    ModelInvocationError,
    ModelProvider,
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

__all__ = [
    "BedrockModelProvider",
    "ChatTurn",
    "ContentBlock",
    "DocumentBlock",
    "ImageBlock",
    "LocalModelProvider",
    "ModelAccessDeniedError",
    "ModelEvent",
    "ModelInvocationError",
    "ModelProvider",
    "ModelRequest",
    "ModelRequestInvalidError",
    "ModelThrottledError",
    "ModelTimeoutError",
    "ModelUnavailableError",
    "ProviderConfigurationError",
    "StreamStop",
    "TextBlock",
    "TextDelta",
    "UsageReport",
]
