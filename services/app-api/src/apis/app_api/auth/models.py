"""Bodies of the sign-in routes, with the snake_case field names the web client reads (contract §15)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["LoginResponse", "LogoutResponse", "TokenExchangeRequest", "TokenRefreshRequest", "TokenResponse"]

# Bounds only against abuse: real codes, states and refresh tokens are far shorter.
_MAX_CREDENTIAL_LENGTH = 8192
_MAX_URI_LENGTH = 2048


class LoginResponse(BaseModel):
    authorization_url: str = Field(description="Where the browser goes to sign in at the identity provider")
    state: str = Field(description="Send it back with the code to POST /auth/token")


class TokenExchangeRequest(BaseModel):
    code: str = Field(min_length=1, max_length=_MAX_CREDENTIAL_LENGTH, description="The callback's authorization code")
    state: str = Field(min_length=1, max_length=512, description="The state GET /auth/login returned")
    redirect_uri: str | None = Field(
        default=None, max_length=_MAX_URI_LENGTH, description="Only used when the login stored none"
    )


class TokenRefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=_MAX_CREDENTIAL_LENGTH)


class TokenResponse(BaseModel):
    """Tokens for the web client; ``expires_in`` is in seconds."""

    access_token: str
    refresh_token: str | None = None
    id_token: str | None = None
    token_type: str = "Bearer"
    expires_in: int
    scope: str


class LogoutResponse(BaseModel):
    logout_url: str = Field(description="Where the browser goes to end the identity provider's session")
