"""Authentication: bearer tokens from the platform's OIDC issuer, checked against its JWKS.

Framework-free parts are exported here; the FastAPI dependencies are in
``apis.shared.auth.dependencies`` and the JWT-role gates in ``apis.shared.auth.rbac``.
"""

from apis.shared.auth.authenticator import DEVELOPMENT_USER, Authenticator
from apis.shared.auth.config import AuthConfig, AuthMode, ClaimNames
from apis.shared.auth.exceptions import (
    AuthConfigurationError,
    InsufficientScopeError,
    RoleRequiredError,
    TokenAlgorithmError,
    TokenAudienceError,
    TokenClaimsError,
    TokenExpiredError,
    TokenIssuerError,
    TokenMalformedError,
    TokenMissingError,
    TokenNotYetValidError,
    TokenSignatureError,
    UnknownSigningKeyError,
)
from apis.shared.auth.jwks import JwksCache, fetch_jwks
from apis.shared.auth.jwt_validator import ACCEPTED_ALGORITHMS, JwtValidator
from apis.shared.auth.models import User
from apis.shared.auth.state_store import (
    OIDC_STATE_TABLE,
    DynamoDBStateStore,
    OIDCStateData,
    StateStore,
)

__all__ = [
    "ACCEPTED_ALGORITHMS",
    "DEVELOPMENT_USER",
    "OIDC_STATE_TABLE",
    "AuthConfig",
    "AuthConfigurationError",
    "AuthMode",
    "Authenticator",
    "ClaimNames",
    "DynamoDBStateStore",
    "InsufficientScopeError",
    "JwksCache",
    "JwtValidator",
    "OIDCStateData",
    "RoleRequiredError",
    "StateStore",
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
    "User",
    "fetch_jwks",
]
