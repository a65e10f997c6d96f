"""How tokens are checked: issuer, audiences, keys, claim names, mode. Built by the service from its settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from apis.shared.auth.exceptions import AuthConfigurationError

__all__ = ["AuthConfig", "AuthMode", "ClaimNames"]

# The identity provider of the client contract puts the 9-digit employee number here.
EMPLOYEE_NUMBER_CLAIM = "http://schemas.boisestate.edu/claims/employeenumber"


class AuthMode(StrEnum):
    """How a bearer token is trusted."""

    VERIFY = "verify"
    """Full validation against the issuer's JWKS (the default)."""
    TRUSTED = "trusted"
    """Behind AgentCore Runtime's JWT authorizer, which already verified the signature."""
    DISABLED = "disabled"
    """No token needed; a fixed development user. Refused outside development."""


@dataclass(frozen=True)
class ClaimNames:
    """Where the user's attributes are in the token; defaults follow the web client's contract."""

    user_id: str = EMPLOYEE_NUMBER_CLAIM
    email: tuple[str, ...] = ("email", "preferred_username")
    name: str = "name"
    given_name: str = "given_name"
    family_name: str = "family_name"
    roles: str = "roles"
    picture: str = "picture"
    scope: str = "scp"


@dataclass(frozen=True)
class AuthConfig:
    """Everything the validator needs, passed explicitly (the library reads no environment).

    ``user_id_pattern`` (a full-match regex) rejects ids of the wrong shape;
    ``required_scopes`` must all be in the scope claim; ``allowed_roles``, when
    set, is a gate: the caller needs at least one of them.
    """

    issuer: str = ""
    audiences: tuple[str, ...] = ()
    jwks_url: str = ""
    mode: AuthMode = AuthMode.VERIFY
    environment: str = "production"
    leeway_seconds: int = 60
    claims: ClaimNames = field(default_factory=ClaimNames)
    user_id_pattern: str | None = r"\d{9}"
    required_scopes: tuple[str, ...] = ()
    allowed_roles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.mode is AuthMode.DISABLED:
            if self.environment != "development":
                raise AuthConfigurationError(
                    f"authentication can only be disabled in development, not in {self.environment!r}"
                )
            return
        if not self.issuer or not self.audiences:
            raise AuthConfigurationError("an issuer and at least one audience are required")
        if self.mode is AuthMode.VERIFY and not self.jwks_url:
            raise AuthConfigurationError("full token validation needs the issuer's JWKS URL")
        if not 0 <= self.leeway_seconds <= 300:
            raise AuthConfigurationError("leeway must be between 0 and 300 seconds")
        if self.user_id_pattern is not None:
            re.compile(self.user_id_pattern)
