"""The test-chat service of ``POST /assistants/{id}/test-chat``, assembled from the container's parts."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import Depends

from apis.app_api.assistants.test_chat import TestChatService
from apis.app_api.dependencies import ContainerDep

__all__ = ["TestChatServiceDep", "get_test_chat_service"]


def get_test_chat_service(container: ContainerDep) -> TestChatService:
    return TestChatService(
        container.assistants,
        container.documents,
        container.knowledge_base,
        container.model_provider,
        model_id=container.settings.test_chat_model_id,
        meter=container.model_meter,
        expose_error_text=container.settings.expose_internal_errors,
    )


TestChatServiceDep = Annotated[TestChatService, Depends(get_test_chat_service)]
