"""Sign-in for the web client: the authorization-code flow with PKCE, run server-side.

The browser holds no secret and no PKCE verifier: ``GET /auth/login`` keeps the
verifier, the nonce and the redirect URI under a random ``state`` in the OIDC
state table, and ``POST /auth/token`` takes them back exactly once. Nothing
here logs a code, verifier, token or the client secret.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx2

from apis.app_api.auth.models import LoginResponse, LogoutResponse, TokenResponse
from apis.app_api.auth.provider import OidcClient, OidcClientConfig
from apis.shared.auth import DynamoDBStateStore, OIDCStateData
from apis.shared.errors import BadRequestError, DependencyUnavailableError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from apis.app_api.auth.models import TokenExchangeRequest, TokenRefreshRequest
    from apis.app_api.auth.provider import TokenGrant
    from apis.app_api.settings import AppApiSettings
    from apis.shared.auth import StateStore

__all__ = [
    "SignInConfig",
    "SignInService",
    "build_sign_in_service",
    "default_post_logout_redirect_uris",
    "pkce_challenge",
    "provider_http_client",
]

logger = logging.getLogger(__name__)

INVALID_STATE_MESSAGE = "Invalid or expired state parameter. Please initiate login again."
# OpenID Connect's prompt values; anything else would only make the provider fail later.
PROMPT_VALUES = frozenset({"none", "login", "consent", "select_account", "create"})


@dataclass(frozen=True)
class SignInConfig:
    """The service's side of sign-in; ``missing_settings`` names what still has to be set."""

    redirect_uri: str
    allowed_redirect_uris: frozenset[str]
    post_logout_redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    state_ttl_seconds: int
    missing_settings: tuple[str, ...] = ()


class SignInService:
    def __init__(self, config: SignInConfig, provider: OidcClient, states: StateStore) -> None:
        self._config = config
        self._provider = provider
        self._states = states

    def login(self, *, prompt: str | None, redirect_uri: str | None, origin: str | None = None) -> LoginResponse:
        """A fresh state, nonce and PKCE verifier, stored under the state; the provider's sign-in URL.

        The web client sends no ``redirect_uri``: the callback is then the one on
        the page's own ``origin`` when that one is allowed (the client keeps its
        ``state`` in that origin's storage), else the configured one.
        """
        self._require_configured()
        redirect = self._allowed_redirect_uri(redirect_uri or self._callback_of(origin))
        if prompt and not set(prompt.split()) <= PROMPT_VALUES:
            raise BadRequestError(f"prompt must be one of {', '.join(sorted(PROMPT_VALUES))}", field="prompt")
        metadata = self._provider.metadata()
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)
        data = OIDCStateData(redirect_uri=redirect, code_verifier=verifier, nonce=nonce)
        self._states.store_state(state, data, ttl_seconds=self._config.state_ttl_seconds)
        url = self._provider.authorization_url(
            metadata,
            redirect_uri=redirect,
            state=state,
            nonce=nonce,
            code_challenge=pkce_challenge(verifier),
            prompt=prompt or None,
        )
        logger.info("sign-in started")
        return LoginResponse(authorization_url=url, state=state)

    def exchange_code(self, request: TokenExchangeRequest) -> TokenResponse:
        """Consume the state once, redeem the code with its verifier, check the ID token's nonce."""
        self._require_configured()
        metadata = self._provider.metadata()
        found, data = self._states.get_and_delete_state(request.state)
        if not found or data is None:
            raise BadRequestError(INVALID_STATE_MESSAGE, field="state")
        # The code was issued for the redirect URI of the login; a client's value counts only for
        # states stored without one.
        redirect = data.redirect_uri or self._allowed_redirect_uri(request.redirect_uri)
        grant = self._provider.exchange_code(
            metadata, code=request.code, redirect_uri=redirect, code_verifier=data.code_verifier
        )
        if grant.id_token is None and "openid" in self._config.scopes:
            # Without the ID token there is no nonce to check: the provider breaks OpenID Connect Core §3.1.3.3.
            raise DependencyUnavailableError(
                "The identity provider returned no ID token for an OpenID Connect sign-in",
                detail="token endpoint: no id_token although the openid scope was requested",
            )
        if grant.id_token is not None:
            self._provider.verify_id_token(metadata, grant.id_token, nonce=data.nonce)
        logger.info("sign-in completed")
        return self._response(grant, refresh_token=grant.refresh_token)

    def refresh(self, request: TokenRefreshRequest) -> TokenResponse:
        """New tokens for a refresh token; the old refresh token stays when the provider sends none."""
        self._require_configured()
        metadata = self._provider.metadata()
        grant = self._provider.refresh(metadata, request.refresh_token)
        if grant.id_token is not None:
            self._provider.verify_id_token(metadata, grant.id_token, nonce=None)
        logger.info("access token refreshed")
        return self._response(grant, refresh_token=grant.refresh_token or request.refresh_token)

    def logout(self, *, post_logout_redirect_uri: str | None) -> LogoutResponse:
        """The provider's end-session URL; without one, straight back to the allowed post-logout URI."""
        self._require_configured()
        target = self._allowed_post_logout_uri(post_logout_redirect_uri)
        metadata = self._provider.metadata()
        url = self._provider.logout_url(metadata, post_logout_redirect_uri=target)
        return LogoutResponse(logout_url=url or target or "/")

    def _require_configured(self) -> None:
        missing = self._config.missing_settings
        if missing:
            raise DependencyUnavailableError(
                f"Sign-in is not configured: set {', '.join(missing)}", metadata={"missing": list(missing)}
            )

    def close(self) -> None:
        self._provider.close()

    def _callback_of(self, origin: str | None) -> str | None:
        """``<origin>/auth/callback`` when that is an allowed redirect URI."""
        if not origin:
            return None
        candidate = f"{origin.rstrip('/')}/auth/callback"
        allowed = candidate == self._config.redirect_uri or candidate in self._config.allowed_redirect_uris
        return candidate if allowed else None

    def _allowed_redirect_uri(self, candidate: str | None) -> str:
        """The configured callback, or ``candidate`` when it is listed: never an arbitrary URL."""
        config = self._config
        if not candidate or candidate == config.redirect_uri:
            return config.redirect_uri
        if candidate in config.allowed_redirect_uris:
            return candidate
        raise BadRequestError("redirect_uri is not an allowed redirect URI", field="redirect_uri")

    def _allowed_post_logout_uri(self, candidate: str | None) -> str | None:
        """The configured spelling of ``candidate`` (a trailing slash does not matter); others are refused."""
        if not candidate:
            return None
        wanted = candidate.rstrip("/")
        for allowed in self._config.post_logout_redirect_uris:
            if allowed.rstrip("/") == wanted:
                return allowed
        raise BadRequestError(
            "post_logout_redirect_uri is not an allowed post-logout redirect URI", field="post_logout_redirect_uri"
        )

    def _response(self, grant: TokenGrant, *, refresh_token: str | None) -> TokenResponse:
        return TokenResponse(
            access_token=grant.access_token,
            refresh_token=refresh_token,
            id_token=grant.id_token,
            token_type="Bearer",
            expires_in=grant.expires_in,
            scope=grant.scope or " ".join(self._config.scopes),
        )


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def default_post_logout_redirect_uris(redirect_uris: Iterable[str]) -> tuple[str, ...]:
    """The origins (``scheme://host[:port]``) of ``redirect_uris``, once each, in order.

    The web client sends its ``location.origin`` as the post-logout address, and
    its callbacks live on that origin.
    """
    origins: dict[str, None] = {}
    for uri in redirect_uris:
        parts = urlsplit(uri)
        host = parts.netloc.rpartition("@")[2]
        if parts.scheme and host:
            origins[f"{parts.scheme}://{host}"] = None
    return tuple(origins)


def provider_http_client(settings: AppApiSettings) -> httpx2.Client:
    """The HTTP client for the identity provider: a short connect timeout, the read timeout of the settings."""
    timeout = httpx2.Timeout(settings.oidc_timeout_seconds, connect=settings.oidc_connect_timeout_seconds)
    return httpx2.Client(timeout=timeout, follow_redirects=False)


def build_sign_in_service(
    settings: AppApiSettings,
    dynamodb: Any,
    *,
    http: httpx2.Client | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> SignInService:
    """Sign-in from the settings; it is built even when unconfigured, and its routes then answer 503."""
    issuer = settings.oidc_issuer or settings.auth_issuer
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else ""
    required = {
        "APP_API_OIDC_ISSUER": issuer,
        "APP_API_OIDC_CLIENT_ID": settings.oidc_client_id,
        "APP_API_OIDC_CLIENT_SECRET": secret,
        "APP_API_OIDC_REDIRECT_URI": settings.oidc_redirect_uri,
    }
    scopes = tuple(settings.oidc_scopes)
    post_logout_redirect_uris = tuple(settings.oidc_post_logout_redirect_uris) or default_post_logout_redirect_uris(
        [settings.oidc_redirect_uri, *settings.oidc_allowed_redirect_uris]
    )
    config = SignInConfig(
        redirect_uri=settings.oidc_redirect_uri,
        allowed_redirect_uris=frozenset(settings.oidc_allowed_redirect_uris),
        post_logout_redirect_uris=post_logout_redirect_uris,
        scopes=scopes,
        state_ttl_seconds=settings.oidc_state_ttl_seconds,
        missing_settings=tuple(name for name, value in required.items() if not value),
    )

    def make_http_client() -> httpx2.Client:
        # One client for the process: connections to the provider are pooled, every call is bounded.
        return provider_http_client(settings)

    provider = OidcClient(
        OidcClientConfig(
            issuer=issuer,
            client_id=settings.oidc_client_id,
            client_secret=secret,
            scopes=scopes,
            discovery_ttl_seconds=settings.oidc_discovery_ttl_seconds,
            discovery_backoff_seconds=settings.oidc_discovery_backoff_seconds,
            discovery_wait_seconds=settings.oidc_timeout_seconds,
        ),
        http or make_http_client,
        clock=clock,
    )
    return SignInService(config, provider, DynamoDBStateStore(dynamodb, settings.oidc_state_table))
