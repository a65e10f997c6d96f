"""Build the app-api ASGI application.

Run it with ``python -m apis.app_api`` or
``uvicorn --factory apis.app_api.main:create_app``.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import TYPE_CHECKING

from fastapi import FastAPI

from apis.app_api import SERVICE_NAME, assistants, catalog, chat, files, health, sessions, users
from apis.app_api.admin.routes import router as admin_router
from apis.app_api.auth.routes import router as auth_router
from apis.app_api.container import AppApiContainer, build_container
from apis.app_api.costs.routes import router as costs_router
from apis.app_api.memory import router as memory_router
from apis.app_api.settings import AppApiSettings, get_settings
from apis.app_api.tools import router as tools_router
from apis.shared.auth.dependencies import install_authentication
from apis.shared.http import document_error_responses, install_body_limit, install_cors, install_error_handlers
from apis.shared.rbac import seed_system_roles
from apis.shared.rbac.dependencies import install_app_roles

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ["create_app"]

logger = logging.getLogger(__name__)


def create_app(settings: AppApiSettings | None = None, *, container: AppApiContainer | None = None) -> FastAPI:
    """Return a configured app; tests pass their own settings and container."""
    settings = settings or get_settings()
    container = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Without the system roles an unmapped user silently gets no permissions:
        # a seeding failure stops the service from starting.
        created = await asyncio.to_thread(seed_system_roles, container.app_role_repository)
        if created:
            logger.info("seeded system roles: %s", ", ".join(created))
        yield
        container.authenticator.close()
        container.sign_in.close()

    app = FastAPI(title="apis app-api", version=version(SERVICE_NAME), lifespan=lifespan)
    app.state.settings = settings
    app.state.container = container
    install_error_handlers(app, expose_internal_errors=settings.expose_internal_errors)
    document_error_responses(app)
    install_cors(app, settings.cors_policy())
    install_body_limit(app, max_bytes=settings.max_request_body_bytes)
    install_authentication(app, container.authenticator)
    install_app_roles(app, container.app_roles, admin_jwt_roles=settings.admin_jwt_roles)
    app.include_router(health.router)
    app.include_router(catalog.router)
    app.include_router(users.router)
    app.include_router(sessions.router)
    app.include_router(files.router)
    app.include_router(assistants.router)
    app.include_router(chat.router)
    app.include_router(costs_router)
    app.include_router(admin_router)
    app.include_router(memory_router)
    app.include_router(tools_router)
    app.include_router(auth_router)
    return app
