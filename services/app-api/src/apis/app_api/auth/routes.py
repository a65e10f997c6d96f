"""``/auth/login``, ``/auth/token``, ``/auth/refresh``, ``/auth/logout``: sign-in for the web client.

Public routes (no ``CurrentUser``): the client calls them before it has a
token, or with one that may have expired. Sync ``def``s, so the state table
and the provider are called from the thread pool, never the event loop.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from apis.app_api.auth.models import (
    LoginResponse,
    LogoutResponse,
    TokenExchangeRequest,
    TokenRefreshRequest,
    TokenResponse,
)
from apis.app_api.dependencies import SignInDep

__all__ = ["router"]

router = APIRouter(prefix="/auth", tags=["auth"])

_NO_STORE = "no-store"


@router.get("/login", response_model=LoginResponse)
def login(
    sign_in: SignInDep,
    request: Request,
    response: Response,
    prompt: Annotated[
        str | None, Query(max_length=100, description="OpenID Connect prompt, e.g. select_account")
    ] = None,
    redirect_uri: Annotated[str | None, Query(max_length=2048, description="An allowed callback URI")] = None,
) -> LoginResponse:
    """The identity provider's sign-in URL and the state to send back with the code."""
    response.headers["Cache-Control"] = _NO_STORE
    return sign_in.login(prompt=prompt, redirect_uri=redirect_uri, origin=request.headers.get("origin"))


@router.post("/token", response_model=TokenResponse)
def exchange_token(body: TokenExchangeRequest, sign_in: SignInDep, response: Response) -> TokenResponse:
    """Tokens for the callback's code; the state is good for one exchange only."""
    response.headers["Cache-Control"] = _NO_STORE
    return sign_in.exchange_code(body)


@router.post("/refresh", response_model=TokenResponse)
def refresh_token(body: TokenRefreshRequest, sign_in: SignInDep, response: Response) -> TokenResponse:
    """A new access token; a refused refresh token is a 401 (sign in again)."""
    response.headers["Cache-Control"] = _NO_STORE
    return sign_in.refresh(body)


@router.get("/logout", response_model=LogoutResponse)
def logout(
    sign_in: SignInDep,
    post_logout_redirect_uri: Annotated[str | None, Query(max_length=2048)] = None,
) -> LogoutResponse:
    """Where to send the browser to end the provider's session."""
    return sign_in.logout(post_logout_redirect_uri=post_logout_redirect_uri)
