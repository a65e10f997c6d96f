"""``POST /invocations``: the AgentCore Runtime contract, streamed as the web client parses it."""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from apis.inference_api.chat.models import InvocationRequest
from apis.inference_api.chat.streaming import frames_in_threads
from apis.inference_api.dependencies import ChatServiceDep, CurrentUser

__all__ = ["router"]

router = APIRouter(tags=["chat"])


@router.post(
    "/invocations",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "The answer as server-sent events"}},
)
async def invocations(
    body: InvocationRequest,
    user: CurrentUser,
    chat: ChatServiceDep,
    qualifier: Annotated[str | None, Query(description="AgentCore endpoint qualifier (DEFAULT)")] = None,
) -> StreamingResponse:
    """Stream one chat turn. Refusals before the first byte are error envelopes (the client reads
    ``error.message``); failures after it are the conversational error sequence, ``done`` last."""
    stream = await run_in_threadpool(chat.start, user, body)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "X-Session-ID": body.session_id}
    return StreamingResponse(frames_in_threads(stream.frames()), media_type="text/event-stream", headers=headers)
