"""Turn a bearer token into a ``User``, or a precise reason it was refused."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import jwt

from apis.shared.auth.config import AuthConfig, AuthMode
from apis.shared.auth.exceptions import (
    InsufficientScopeError,
    RoleRequiredError,
    TokenAlgorithmError,
    TokenAudienceError,
    TokenClaimsError,
    TokenExpiredError,
    TokenIssuerError,
    TokenMalformedError,
    TokenNotYetValidError,
    TokenSignatureError,
)
from apis.shared.auth.models import User
from apis.shared.errors import InternalError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from apis.shared.auth.jwks import JwksCache
    from apis.shared.errors import ApisError

__all__ = ["ACCEPTED_ALGORITHMS", "JwtValidator"]

# RS256 only: "none" and the HMAC family (where a public key could be misused
# as the shared secret) never reach signature verification.
ACCEPTED_ALGORITHMS = ("RS256",)

_ERRORS: tuple[tuple[type[jwt.InvalidTokenError], type[ApisError]], ...] = (
    (jwt.ExpiredSignatureError, TokenExpiredError),
    (jwt.ImmatureSignatureError, TokenNotYetValidError),
    (jwt.InvalidAudienceError, TokenAudienceError),
    (jwt.InvalidIssuerError, TokenIssuerError),
    (jwt.InvalidSignatureError, TokenSignatureError),
    (jwt.MissingRequiredClaimError, TokenClaimsError),
    (jwt.InvalidAlgorithmError, TokenAlgorithmError),
)


class JwtValidator:
    """Validates tokens per an ``AuthConfig`` (verify or trusted mode)."""

    def __init__(self, config: AuthConfig, keys: JwksCache | None = None) -> None:
        if config.mode is AuthMode.VERIFY and keys is None:
            raise ValueError("verify mode needs the issuer's keys")
        self._config = config
        self._keys = keys
        self._user_id_pattern = re.compile(config.user_id_pattern) if config.user_id_pattern else None

    def validate(self, token: str) -> User:
        """Validate ``token`` and return its user; raise the matching auth error otherwise."""
        claims = self._decode(token)
        user = self._user_from(claims)
        self._check_scopes(claims)
        self._check_gate(user)
        return user

    def _decode(self, token: str) -> dict[str, Any]:
        config = self._config
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise TokenMalformedError() from exc
        if header.get("alg") not in ACCEPTED_ALGORITHMS:
            raise TokenAlgorithmError()
        options: dict[str, Any] = {"require": ["exp", "iss", "aud"]}
        key: Any = None
        if config.mode is AuthMode.VERIFY:
            kid = header.get("kid")
            if not isinstance(kid, str) or not kid:
                raise TokenMalformedError("Invalid token: no key id")
            if self._keys is None:  # the constructor refuses this; kept for -O runs
                raise InternalError("Token validation is misconfigured", detail="verify mode without keys")
            key = self._keys.get_key(kid)
        else:
            # AgentCore's authorizer verified the signature; the claims are still checked.
            options |= {"verify_signature": False, "verify_exp": True, "verify_nbf": True, "verify_iat": True,
                        "verify_aud": True, "verify_iss": True}  # fmt: skip
        try:
            decoded: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=list(ACCEPTED_ALGORITHMS),
                audience=list(config.audiences),
                issuer=config.issuer,
                leeway=config.leeway_seconds,
                options=options,  # type: ignore[arg-type]
            )
        except jwt.InvalidTokenError as exc:
            for pyjwt_error, ours in _ERRORS:
                if isinstance(exc, pyjwt_error):
                    raise ours() from exc
            raise TokenMalformedError() from exc
        return decoded

    def _user_from(self, claims: Mapping[str, Any]) -> User:
        names = self._config.claims
        user_id = claims.get(names.user_id)
        if not isinstance(user_id, str | int) or not str(user_id):
            raise TokenClaimsError(detail=f"missing claim {names.user_id}")
        user_id = str(user_id)
        if self._user_id_pattern is not None and not self._user_id_pattern.fullmatch(user_id):
            raise TokenClaimsError(detail="user id has the wrong form")
        email = next((claims[n] for n in names.email if isinstance(claims.get(n), str) and claims[n]), None)
        if email is None:
            raise TokenClaimsError(detail=f"missing claim {' or '.join(names.email)}")
        roles = claims.get(names.roles, [])
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise TokenClaimsError(detail=f"claim {names.roles} must be a list of strings")
        name = claims.get(names.name)
        if not isinstance(name, str) or not name:
            parts = [claims.get(names.given_name), claims.get(names.family_name)]
            name = " ".join(part for part in parts if isinstance(part, str) and part) or email
        picture = claims.get(names.picture)
        return User(
            user_id=user_id,
            email=email.lower(),
            name=name,
            roles=tuple(roles),
            picture=picture if isinstance(picture, str) else None,
            verified_email=self._verified_email(claims),
            claims=dict(claims),
        )

    def _verified_email(self, claims: Mapping[str, Any]) -> str | None:
        """The address the provider vouches for, or None (never an error: it only grants shares)."""
        names = self._config.claims
        value = claims.get(names.verified_email)
        if not isinstance(value, str) or "@" not in value:
            return None
        if self._config.verified_email_requires_flag:
            # Some providers (Cognito's ID tokens among them) send the flag as a string.
            flag = claims.get(names.email_verified)
            if flag is not True and flag != "true":
                return None
        return value.strip().lower()

    def _check_scopes(self, claims: Mapping[str, Any]) -> None:
        if not self._config.required_scopes:
            return
        granted = claims.get(self._config.claims.scope, "")
        scopes = set(granted.split()) if isinstance(granted, str) else set(granted or [])
        missing = [scope for scope in self._config.required_scopes if scope not in scopes]
        if missing:
            raise InsufficientScopeError(detail=f"missing scope(s): {', '.join(missing)}")

    def _check_gate(self, user: User) -> None:
        allowed = self._config.allowed_roles
        if allowed and not set(allowed) & set(user.roles):
            raise RoleRequiredError("Access denied: no role that may use this platform")
