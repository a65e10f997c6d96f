"""``POST /chat/generate-title``: title a new conversation after its first answer."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from apis.app_api.chat.dependencies import TitleServiceDep
from apis.app_api.dependencies import CurrentUser
from apis.shared.ids import SafeId

__all__ = ["router"]

router = APIRouter(prefix="/chat", tags=["chat"])


class GenerateTitleRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    session_id: SafeId  # the session's key
    input: str = Field(min_length=1, max_length=100_000)


class GenerateTitleResponse(BaseModel):
    title: str
    session_id: str


@router.post("/generate-title", response_model=GenerateTitleResponse)
def generate_title(body: GenerateTitleRequest, user: CurrentUser, service: TitleServiceDep) -> GenerateTitleResponse:
    """A title of at most 50 characters, stored on the session, charged to the caller's quota.

    "New Conversation" when the title model is busy, down or too slow; any other failure is
    an error with its status (403 model not open to the caller, 429 quota used up, ...)."""
    title = service.generate(body.session_id, user, body.input)
    return GenerateTitleResponse(title=title, session_id=body.session_id)
