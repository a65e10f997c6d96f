"""Amazon Bedrock ``converse_stream`` as a model provider (the production provider)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from apis.shared.providers.protocol import (
    ChatTurn,
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

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apis.shared.errors import ApisError

__all__ = ["BedrockModelProvider"]

_RETRY_AFTER_SECONDS = 5
_BY_CODE: dict[str, type[ModelInvocationError]] = {
    "throttlingexception": ModelThrottledError,
    "accessdeniedexception": ModelAccessDeniedError,
    "validationexception": ModelRequestInvalidError,
    "resourcenotfoundexception": ModelRequestInvalidError,
    "modeltimeoutexception": ModelTimeoutError,
    "serviceunavailableexception": ModelUnavailableError,
    "internalserverexception": ModelUnavailableError,
    "modelnotreadyexception": ModelUnavailableError,
    "modelerrorexception": ModelInvocationError,
    "modelstreamerrorexception": ModelInvocationError,
}


def _translate_bedrock_error(error: Exception) -> ApisError:
    """The platform error for a Bedrock failure, by error code (stream errors included)."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        error_class = _BY_CODE.get(code.lower(), ModelInvocationError)
        detail = f"bedrock converse_stream: {code}: {error.response.get('Error', {}).get('Message', '')}"
        if error_class is ModelThrottledError:
            return ModelThrottledError(detail=detail, retry_after=_RETRY_AFTER_SECONDS)
        return error_class(detail=detail)
    if isinstance(error, (ReadTimeoutError, ConnectTimeoutError)):
        return ModelTimeoutError(detail=f"bedrock: {type(error).__name__}")
    if isinstance(error, EndpointConnectionError):
        return ModelUnavailableError(detail=f"bedrock: {type(error).__name__}")
    return ModelUnavailableError(detail=f"bedrock: {type(error).__name__}")


def _content(block: TextBlock | ImageBlock | DocumentBlock) -> dict[str, Any]:
    if isinstance(block, TextBlock):
        return {"text": block.text}
    if isinstance(block, ImageBlock):
        return {"image": {"format": block.format, "source": {"bytes": block.data}}}
    return {"document": {"format": block.format, "name": block.name, "source": {"bytes": block.data}}}


def _messages(turns: tuple[ChatTurn, ...]) -> list[dict[str, Any]]:
    return [{"role": turn.role, "content": [_content(block) for block in turn.content]} for turn in turns]


class BedrockModelProvider:
    """Streams answers with ``bedrock-runtime`` ``converse_stream``; the client is passed in."""

    name = "bedrock"

    def __init__(self, client: Any) -> None:
        self._client = client

    def build_request(self, request: ModelRequest) -> dict[str, Any]:
        """The ``converse_stream`` parameters for ``request`` (prompt caching marks the system prompt)."""
        params: dict[str, Any] = {"modelId": request.model_id, "messages": _messages(request.messages)}
        if request.system_prompt:
            system: list[dict[str, Any]] = [{"text": request.system_prompt}]
            if request.caching:
                system.append({"cachePoint": {"type": "default"}})
            params["system"] = system
        inference: dict[str, Any] = {}
        if request.temperature is not None:
            inference["temperature"] = request.temperature
        if request.max_tokens is not None:
            inference["maxTokens"] = request.max_tokens
        if inference:
            params["inferenceConfig"] = inference
        return params

    def stream(self, request: ModelRequest) -> Iterator[ModelEvent]:
        """Yield the answer's events; closing this iterator early closes the HTTP stream, so Bedrock stops."""
        started = time.monotonic()
        events = None
        try:
            response = self._client.converse_stream(**self.build_request(request))
            events = response["stream"]
            for event in events:
                yield from self._events(event, started)
        except (ClientError, BotoCoreError) as exc:
            raise _translate_bedrock_error(exc) from exc
        finally:
            if events is not None:
                events.close()

    @staticmethod
    def _events(event: dict[str, Any], started: float) -> Iterator[ModelEvent]:
        if "contentBlockDelta" in event:
            text = event["contentBlockDelta"].get("delta", {}).get("text")
            if text:
                yield TextDelta(text)
        elif "messageStop" in event:
            yield StreamStop(event["messageStop"].get("stopReason", "end_turn"))
        elif "metadata" in event:
            usage = event["metadata"].get("usage", {})
            metrics = event["metadata"].get("metrics", {})
            yield UsageReport(
                input_tokens=int(usage.get("inputTokens", 0)),
                output_tokens=int(usage.get("outputTokens", 0)),
                cache_read_input_tokens=int(usage.get("cacheReadInputTokens", 0)),
                cache_write_input_tokens=int(usage.get("cacheWriteInputTokens", 0)),
                latency_ms=int(metrics.get("latencyMs", (time.monotonic() - started) * 1000)),
            )
