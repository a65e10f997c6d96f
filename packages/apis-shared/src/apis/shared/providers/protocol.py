"""Calling a model: the provider interface, its request and stream events, and its errors.

Providers are synchronous iterators (boto3 is blocking); services iterate them
in a worker thread, so the first text reaches the client as soon as the model
sends it.

::

    ModelInvocationError (502 model_error)
    ├── ModelThrottledError        429 rate_limit_exceeded, retry_after
    ├── ModelAccessDeniedError     502 model_error (the platform may not use the model)
    ├── ModelRequestInvalidError   400 bad_request (unsupported input, unknown model)
    ├── ModelTimeoutError          504 timeout
    └── ModelUnavailableError      503 service_unavailable
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from apis.shared.errors import ErrorKind, ModelInvocationError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "ChatTurn",
    "ContentBlock",
    "DocumentBlock",
    "ImageBlock",
    "ModelAccessDeniedError",
    "ModelEvent",
    "ModelInvocationError",
    "ModelProvider",
    "ModelRequest",
    "ModelRequestInvalidError",
    "ModelThrottledError",
    "ModelTimeoutError",
    "ModelUnavailableError",
    "StreamStop",
    "TextBlock",
    "TextDelta",
    "UsageReport",
]


class ModelThrottledError(ModelInvocationError):
    """The provider is throttling us; retrying after ``retry_after`` seconds helps."""

    kind = ErrorKind.MODEL_THROTTLED
    default_message = "The model is busy; try again shortly"


class ModelAccessDeniedError(ModelInvocationError):
    """The platform is not allowed to use this model (access not enabled)."""

    kind = ErrorKind.MODEL_ACCESS_DENIED
    default_message = "The platform cannot use the selected model"


class ModelRequestInvalidError(ModelInvocationError):
    """The provider refused the request itself (unsupported content, too long, unknown model)."""

    kind = ErrorKind.MODEL_REQUEST_INVALID
    default_message = "The model cannot take this request"


class ModelTimeoutError(ModelInvocationError):
    """The model did not answer in time."""

    kind = ErrorKind.MODEL_TIMEOUT
    default_message = "The model took too long to answer"


class ModelUnavailableError(ModelInvocationError):
    """The provider is down or the model is not ready."""

    kind = ErrorKind.MODEL_UNAVAILABLE
    default_message = "The model is unavailable right now"


@dataclass(frozen=True)
class TextBlock:
    text: str


@dataclass(frozen=True)
class ImageBlock:
    format: str
    data: bytes


@dataclass(frozen=True)
class DocumentBlock:
    format: str
    name: str
    data: bytes


ContentBlock = TextBlock | ImageBlock | DocumentBlock


@dataclass(frozen=True)
class ChatTurn:
    role: Literal["user", "assistant"]
    content: tuple[ContentBlock, ...]


@dataclass(frozen=True)
class ModelRequest:
    model_id: str
    messages: tuple[ChatTurn, ...]
    system_prompt: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    caching: bool = False


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class StreamStop:
    reason: str


@dataclass(frozen=True)
class UsageReport:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    latency_ms: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_input_tokens + self.cache_write_input_tokens


ModelEvent = TextDelta | StreamStop | UsageReport


class ModelProvider(Protocol):
    """Something that streams a model's answer."""

    name: str

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        """Yield text deltas, then a ``StreamStop`` and a ``UsageReport``; raise ``ModelInvocationError`` subclasses."""
        ...
