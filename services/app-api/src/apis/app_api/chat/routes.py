"""``POST /chat/generate-title``: title a new conversation after its first answer."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from apis.app_api.chat.titles import TitleService
from apis.app_api.dependencies import ContainerDep, CurrentUser

__all__ = ["router"]

router = APIRouter(prefix="/chat", tags=["chat"])


class GenerateTitleRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session_id: str = Field(min_length=1, max_length=200)
    input: str = Field(min_length=1, max_length=100_000)


class GenerateTitleResponse(BaseModel):
    title: str
    session_id: str


@router.post("/generate-title", response_model=GenerateTitleResponse)
def generate_title(body: GenerateTitleRequest, user: CurrentUser, container: ContainerDep) -> GenerateTitleResponse:
    """A title of at most 50 characters, stored on the session ("New Conversation" when the model fails)."""
    service = TitleService(container.model_provider, container.sessions, model_id=container.settings.title_model_id)
    title = service.generate(body.session_id, user.user_id, body.input)
    return GenerateTitleResponse(title=title, session_id=body.session_id)
