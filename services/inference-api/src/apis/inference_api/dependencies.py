"""Annotated dependencies for the routes: each route takes the service it uses, not the container.

The container is on ``app.state``; every dependency here reaches it through
``get_container``, so a test that overrides ``get_container`` reaches every route.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import Depends, Request

from apis.inference_api.chat.service import ChatService
from apis.inference_api.container import InferenceApiContainer
from apis.shared.auth.dependencies import CurrentUser
from apis.shared.errors import InternalError

__all__ = ["ChatServiceDep", "CurrentUser", "get_chat_service", "get_container"]


def get_container(request: Request) -> InferenceApiContainer:
    container = getattr(request.app.state, "container", None)
    if not isinstance(container, InferenceApiContainer):
        raise InternalError("The service is not initialised")
    return container


_ContainerDep = Annotated[InferenceApiContainer, Depends(get_container)]


def get_chat_service(container: _ContainerDep) -> ChatService:
    """The chat turn service of ``POST /invocations``."""
    return container.chat


ChatServiceDep = Annotated[ChatService, Depends(get_chat_service)]
