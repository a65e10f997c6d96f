"""Build the inference-api ASGI application.

Run it with ``python -m apis.inference_api`` or
``uvicorn --factory apis.inference_api.main:create_app``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import TYPE_CHECKING

from fastapi import FastAPI

from apis.inference_api import SERVICE_NAME, ping
from apis.inference_api.chat.routes import router as chat_router
from apis.inference_api.container import InferenceApiContainer, build_container
from apis.inference_api.settings import InferenceApiSettings, get_settings
from apis.shared.auth.dependencies import install_authentication
from apis.shared.http import document_error_responses, install_body_limit, install_cors, install_error_handlers

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["create_app"]


def create_app(
    settings: InferenceApiSettings | None = None, *, container: InferenceApiContainer | None = None
) -> FastAPI:
    """Return a configured app; tests pass their own settings and container."""
    settings = settings or get_settings()
    container = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        container.authenticator.close()

    app = FastAPI(title="apis inference-api", version=version(SERVICE_NAME), lifespan=lifespan)
    app.state.settings = settings
    app.state.container = container
    install_error_handlers(app, expose_internal_errors=settings.expose_internal_errors)
    document_error_responses(app)
    install_cors(app, settings.cors_policy())
    install_body_limit(app, max_bytes=settings.max_request_body_bytes)
    install_authentication(app, container.authenticator)
    app.include_router(ping.router)
    app.include_router(chat_router)
    return app
