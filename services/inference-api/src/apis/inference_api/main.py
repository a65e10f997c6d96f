"""Build the inference-api ASGI application.

Run it with ``python -m apis.inference_api`` or
``uvicorn --factory apis.inference_api.main:create_app``.
"""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI

from apis.inference_api import SERVICE_NAME, ping
from apis.inference_api.settings import InferenceApiSettings, get_settings
from apis.shared.http import install_error_handlers

__all__ = ["create_app"]


def create_app(settings: InferenceApiSettings | None = None) -> FastAPI:
    """Return a configured app; tests pass their own settings."""
    settings = settings or get_settings()
    app = FastAPI(title="apis inference-api", version=version(SERVICE_NAME))
    app.state.settings = settings
    install_error_handlers(app, expose_internal_errors=settings.expose_internal_errors)
    app.include_router(ping.router)
    return app
