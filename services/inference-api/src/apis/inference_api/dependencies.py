"""Annotated dependencies for the routes (the container is on ``app.state``)."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import Depends, Request

from apis.inference_api.container import InferenceApiContainer
from apis.shared.auth.dependencies import CurrentUser
from apis.shared.errors import InternalError

__all__ = ["ContainerDep", "CurrentUser", "get_container"]


def get_container(request: Request) -> InferenceApiContainer:
    container = getattr(request.app.state, "container", None)
    if not isinstance(container, InferenceApiContainer):
        raise InternalError("The service is not initialised")
    return container


ContainerDep = Annotated[InferenceApiContainer, Depends(get_container)]
