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
    """Behind AgentCore Runtime's JWT authorizer, which already verified the signature.

    Only for a service that sets ``AuthConfig.allow_trusted``: anywhere nothing
    in front of the service checks signatures, this mode accepts forged tokens.
    """
    DISABLED = "disabled"
    """No token needed; a fixed development user. Refused outside development."""


@dataclass(frozen=True)
class ClaimNames:
    """Where the user's attributes are in the token; defaults follow the web client's contract.

    ``email`` (the first present) is for display and profiles. ``verified_email``
    is the one claim trusted as the user's address where an address grants
    access (assistant shares); see ``AuthConfig.verified_email_requires_flag``.
    """

    user_id: str = EMPLOYEE_NUMBER_CLAIM
    email: tuple[str, ...] = ("email", "preferred_username")
    verified_email: str = "email"
    email_verified: str = "email_verified"
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

    ``allow_trusted`` must be set for ``AuthMode.TRUSTED`` to be accepted at all.
    ``jwks_ttl_seconds`` is how long fetched keys are used before a refresh;
    when the refresh fails they stay in use ``jwks_stale_grace_seconds`` more.

    ``User.verified_email`` is the ``claims.verified_email`` claim, and with
    ``verified_email_requires_flag`` (the default) only when the token also
    carries ``email_verified: true``; a provider that does not send that claim
    gives no verified email at all. That is right for Entra ID, whose ``email``
    claim is a mutable, unverified directory attribute and which never sends
    ``email_verified``: there, name a claim the directory controls
    (``preferred_username`` in v2 tokens, ``upn`` in v1; the user principal
    name, unique in the tenant and set by its administrators) and turn the
    flag off.
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
    allow_trusted: bool = False
    jwks_ttl_seconds: float = 3600.0
    jwks_stale_grace_seconds: float = 3600.0
    verified_email_requires_flag: bool = True

    def __post_init__(self) -> None:
        if self.mode is AuthMode.TRUSTED and not self.allow_trusted:
            raise AuthConfigurationError(
                "trusted mode skips the signature check; it is allowed only where a JWT authorizer in front of"
                " the service validates every token, and this service does not allow it"
            )
        if self.jwks_ttl_seconds <= 0 or self.jwks_stale_grace_seconds < 0:
            raise AuthConfigurationError("the JWKS TTL must be positive and its stale grace not negative")
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
