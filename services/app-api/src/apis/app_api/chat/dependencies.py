"""The title service of ``POST /chat/generate-title``, assembled from the container's parts."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import Depends

from apis.app_api.chat.titles import TitleService
from apis.app_api.dependencies import ContainerDep

__all__ = ["TitleServiceDep", "get_title_service"]


def get_title_service(container: ContainerDep) -> TitleService:
    return TitleService(container.model_provider, container.sessions, model_id=container.settings.title_model_id,
                        meter=container.model_meter)  # fmt: skip


TitleServiceDep = Annotated[TitleService, Depends(get_title_service)]
