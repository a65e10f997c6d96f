"""Build the app-api ASGI application.

Run it with ``python -m apis.app_api`` or
``uvicorn --factory apis.app_api.main:create_app``.
"""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI

from apis.app_api import SERVICE_NAME, health
from apis.app_api.settings import AppApiSettings, get_settings
from apis.shared.http import install_error_handlers

__all__ = ["create_app"]


def create_app(settings: AppApiSettings | None = None) -> FastAPI:
    """Return a configured app; tests pass their own settings."""
    settings = settings or get_settings()
    app = FastAPI(title="apis app-api", version=version(SERVICE_NAME))
    app.state.settings = settings
    install_error_handlers(app, expose_internal_errors=settings.expose_internal_errors)
    app.include_router(health.router)
    return app
