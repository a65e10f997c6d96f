"""FastAPI dependencies: who is calling, and may they.

A service builds one ``Authenticator`` at startup and calls
``install_authentication(app, authenticator)``; routes then declare
``user: CurrentUser`` (or ``Depends(require_roles(...))``). The dependencies
are plain ``def``s, so FastAPI runs them in its thread pool: a JWKS refresh
never blocks the event loop.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from apis.shared.auth.authenticator import Authenticator
from apis.shared.auth.models import User
from apis.shared.errors import InternalError

__all__ = ["CurrentUser", "get_authenticator", "get_current_user", "install_authentication"]

_STATE_KEY = "apis_authenticator"
_bearer = HTTPBearer(auto_error=False, description="An access token from the platform's identity provider")


def install_authentication(app: object, authenticator: Authenticator) -> None:
    """Make ``authenticator`` the one the app's auth dependencies use."""
    state = getattr(app, "state", None)
    if state is None:
        raise TypeError("install_authentication needs a Starlette/FastAPI application")
    setattr(state, _STATE_KEY, authenticator)


def get_authenticator(request: Request) -> Authenticator:
    authenticator = getattr(request.app.state, _STATE_KEY, None)
    if not isinstance(authenticator, Authenticator):
        raise InternalError("Authentication is not configured", detail="install_authentication was not called")
    return authenticator


def get_current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The authenticated caller (401 without a valid token, 403 when the gate refuses)."""
    token = credentials.credentials if credentials is not None else None
    return get_authenticator(request).authenticate(token)


CurrentUser = Annotated[User, Depends(get_current_user)]
