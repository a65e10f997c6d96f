"""Chat: the invocation request, the turn (checks, stream, persistence) and its route."""

from apis.inference_api.chat.models import FileContent, InvocationRequest
from apis.inference_api.chat.service import ChatService, ChatStream

__all__ = ["ChatService", "ChatStream", "FileContent", "InvocationRequest"]
