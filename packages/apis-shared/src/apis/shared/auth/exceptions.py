"""Why a caller was turned away. 401s say the credentials are missing or bad; 403s say they are not enough.

::

    AuthenticationError (401)
    ├── TokenMissingError          no bearer token
    ├── TokenMalformedError        not a JWT at all
    ├── TokenAlgorithmError        not RS256 (alg none, HS256 ...)
    ├── UnknownSigningKeyError     kid not in the issuer's JWKS
    ├── TokenSignatureError        signature does not verify
    ├── TokenExpiredError          exp is past (reason "expired")
    ├── TokenNotYetValidError      nbf / iat in the future
    ├── TokenIssuerError           wrong iss
    ├── TokenAudienceError         wrong aud
    └── TokenClaimsError           required claims missing or malformed
    PermissionDeniedError (403)
    ├── InsufficientScopeError     a required scope is missing
    └── RoleRequiredError          none (or not all) of the required roles

``metadata["reason"]`` carries a stable, machine-readable reason.
"""

from __future__ import annotations

from typing import Any, ClassVar

from apis.shared.errors import AuthenticationError, PermissionDeniedError

__all__ = [
    "AuthConfigurationError",
    "InsufficientScopeError",
    "RoleRequiredError",
    "TokenAlgorithmError",
    "TokenAudienceError",
    "TokenClaimsError",
    "TokenExpiredError",
    "TokenIssuerError",
    "TokenMalformedError",
    "TokenMissingError",
    "TokenNotYetValidError",
    "TokenSignatureError",
    "UnknownSigningKeyError",
]


class AuthConfigurationError(ValueError):
    """The authentication settings are unsafe or incomplete; the service must not start."""


class _ReasonedAuthenticationError(AuthenticationError):
    reason: ClassVar[str] = "invalid_token"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"reason": self.reason})
        super().__init__(message, **kwargs)


class TokenMissingError(_ReasonedAuthenticationError):
    """No bearer token was sent."""

    reason = "missing_token"
    default_message = "Authentication required"


class TokenMalformedError(_ReasonedAuthenticationError):
    """The bearer token is not a well-formed JWT."""

    reason = "malformed"
    default_message = "Invalid token"


class TokenAlgorithmError(_ReasonedAuthenticationError):
    """The token is not signed with an accepted algorithm."""

    reason = "algorithm"
    default_message = "Invalid token: unsupported signing algorithm"


class UnknownSigningKeyError(_ReasonedAuthenticationError):
    """The token names a signing key the issuer does not publish."""

    reason = "unknown_key"
    default_message = "Invalid token: unknown signing key"


class TokenSignatureError(_ReasonedAuthenticationError):
    """The token's signature does not verify."""

    reason = "signature"
    default_message = "Invalid token signature"


class TokenExpiredError(_ReasonedAuthenticationError):
    """The token has expired."""

    reason = "expired"
    default_message = "Token has expired"


class TokenNotYetValidError(_ReasonedAuthenticationError):
    """The token is not valid yet."""

    reason = "not_yet_valid"
    default_message = "Token is not yet valid"


class TokenIssuerError(_ReasonedAuthenticationError):
    """The token comes from another issuer."""

    reason = "issuer"
    default_message = "Invalid token issuer"


class TokenAudienceError(_ReasonedAuthenticationError):
    """The token is meant for another audience."""

    reason = "audience"
    default_message = "Invalid token audience"


class TokenClaimsError(_ReasonedAuthenticationError):
    """The token lacks a claim the platform needs, or has it in the wrong form."""

    reason = "claims"
    default_message = "Invalid user"


class InsufficientScopeError(PermissionDeniedError):
    """The token does not carry a scope the platform requires."""

    default_message = "Insufficient scope"


class RoleRequiredError(PermissionDeniedError):
    """The caller lacks the roles an operation requires."""

    default_message = "Access denied"
