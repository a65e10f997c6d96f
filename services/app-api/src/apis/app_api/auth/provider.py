"""The identity provider, seen by the OpenID Connect client app-api runs for the web client.

Everything comes from the provider's discovery document, fetched once and
kept for a while: the authorization, token and end-session endpoints, the
signing keys and the client authentication methods it accepts. The provider's
failures become the platform's errors here: unreachable or broken is a 503,
slow is a 504, and a refusal is the caller's error (or ours, when it refuses
this service's own credentials).

Sign-in routes are public and run in the thread pool: a provider that hangs
must not tie up the pool's threads. One request fetches the discovery document
while the others wait a bounded time, and a failed fetch is remembered for a
short back-off, during which every request fails at once without calling it.
"""

from __future__ import annotations

import base64
import copy
import hmac
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import httpx2
import jwt

from apis.shared.auth import ACCEPTED_ALGORITHMS, JwksCache, UnknownSigningKeyError
from apis.shared.errors import (
    AuthenticationError,
    BadRequestError,
    DependencyTimeoutError,
    DependencyUnavailableError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from apis.shared.errors import ApisError

__all__ = ["ClientAuthMethod", "OidcClient", "OidcClientConfig", "ProviderMetadata", "TokenGrant"]

logger = logging.getLogger(__name__)

ClientAuthMethod = Literal["client_secret_basic", "client_secret_post"]
# In order of preference; OpenID Connect Discovery makes client_secret_basic the default.
SUPPORTED_CLIENT_AUTH_METHODS: tuple[ClientAuthMethod, ...] = ("client_secret_basic", "client_secret_post")
# Errors saying the provider refuses this service's client, not the user's code or token.
_CLIENT_REFUSED = frozenset({"invalid_client", "unauthorized_client"})
# RFC 6749 §5.2: a token request is refused with 400, or 401 when client authentication failed.
_REFUSAL_STATUSES = frozenset({400, 401})
DEFAULT_EXPIRES_IN = 3600
# A Retry-After further away than this is the provider's business, not a hint for the web client.
_MAX_RETRY_AFTER_SECONDS = 300
_MAX_REASON_LENGTH = 300

_UNREACHABLE = "The identity provider is unreachable"
_UNAVAILABLE = "The identity provider is unavailable"
_BUSY = "The identity provider is busy. Please try again shortly."
_TOO_SLOW = "The identity provider did not answer in time"
_MISCONFIGURED = "Sign-in is misconfigured"
_INVALID_ID_TOKEN = "Sign-in failed: the identity provider's ID token is invalid. Please initiate login again."


@dataclass(frozen=True)
class OidcClientConfig:
    """Who this service is at the provider."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]
    discovery_ttl_seconds: float = 3600.0
    # How long a failed discovery is answered from memory before the provider is asked again.
    discovery_backoff_seconds: float = 15.0
    # How long a request waits for another one's discovery fetch; no longer than the HTTP timeout.
    discovery_wait_seconds: float = 10.0
    leeway_seconds: int = 60


@dataclass(frozen=True)
class ProviderMetadata:
    """What the client uses of the discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    client_auth_method: ClientAuthMethod


@dataclass(frozen=True)
class TokenGrant:
    """A successful token endpoint answer."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    id_token: str | None = field(repr=False)
    expires_in: int
    scope: str | None


@dataclass
class _DiscoveryFetch:
    """One request's fetch of the discovery document, which the others wait for."""

    done: threading.Event = field(default_factory=threading.Event)
    metadata: ProviderMetadata | None = None
    error: ApisError | None = None


class OidcClient:
    """Discovery, authorization URLs, the token endpoint and ID token checks of one provider (thread-safe)."""

    def __init__(
        self,
        config: OidcClientConfig,
        http: httpx2.Client | Callable[[], httpx2.Client],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``http`` is the client, or what makes it on first use (its TLS setup would slow down startup)."""
        self._config = config
        self._http = http
        self._http_lock = threading.Lock()
        self._clock = clock
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._loaded_at = 0.0
        self._failure: ApisError | None = None
        self._failed_at = 0.0
        self._fetch: _DiscoveryFetch | None = None
        self._keys: JwksCache | None = None
        self._keys_uri: str | None = None

    @property
    def discovery_url(self) -> str:
        return f"{self._config.issuer.rstrip('/')}/.well-known/openid-configuration"

    def metadata(self) -> ProviderMetadata:
        """The discovery document's endpoints, fetched again once the cached copy is older than its TTL.

        No lock is held during the fetch: one caller fetches, the others wait for
        its outcome at most ``discovery_wait_seconds`` (then a 504). A failure is
        raised again, without a call, for ``discovery_backoff_seconds``.
        """
        config = self._config
        with self._lock:
            now = self._clock()
            if self._metadata is not None and now - self._loaded_at < config.discovery_ttl_seconds:
                return self._metadata
            if self._failure is not None and now - self._failed_at < config.discovery_backoff_seconds:
                raise _again(self._failure)
            fetch = self._fetch
            if fetch is None:
                fetch = self._fetch = _DiscoveryFetch()
                fetching = True
            else:
                fetching = False
        if fetching:
            return self._run_discovery(fetch)
        if not fetch.done.wait(config.discovery_wait_seconds):
            raise DependencyTimeoutError(_TOO_SLOW, detail="discovery: still waiting for another request's fetch")
        if fetch.metadata is not None:
            return fetch.metadata
        if fetch.error is not None:
            raise _again(fetch.error)
        raise DependencyUnavailableError(_UNAVAILABLE, detail="discovery: another request's fetch failed")

    def _run_discovery(self, fetch: _DiscoveryFetch) -> ProviderMetadata:
        """Fetch for everyone waiting on ``fetch``; remember the outcome, success or failure."""
        try:
            metadata = self._discover()
        except (DependencyUnavailableError, DependencyTimeoutError) as exc:
            with self._lock:
                self._failure, self._failed_at = exc, self._clock()
            fetch.error = exc
            raise
        else:
            with self._lock:
                self._metadata, self._loaded_at = metadata, self._clock()
                self._failure = None
            fetch.metadata = metadata
            return metadata
        finally:
            with self._lock:
                self._fetch = None
            fetch.done.set()

    def authorization_url(
        self,
        metadata: ProviderMetadata,
        *,
        redirect_uri: str,
        state: str,
        nonce: str,
        code_challenge: str,
        prompt: str | None,
    ) -> str:
        params = [
            ("response_type", "code"),
            ("client_id", self._config.client_id),
            ("redirect_uri", redirect_uri),
            ("scope", " ".join(self._config.scopes)),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", code_challenge),
            ("code_challenge_method", "S256"),
            ("response_mode", "query"),
        ]
        if prompt:
            params.append(("prompt", prompt))
        return _with_query(metadata.authorization_endpoint, params)

    def logout_url(self, metadata: ProviderMetadata, *, post_logout_redirect_uri: str | None) -> str | None:
        """The end-session URL, or None when the provider has no end-session endpoint."""
        if metadata.end_session_endpoint is None:
            return None
        params = [("client_id", self._config.client_id)]
        if post_logout_redirect_uri:
            params.append(("post_logout_redirect_uri", post_logout_redirect_uri))
        return _with_query(metadata.end_session_endpoint, params)

    def exchange_code(
        self, metadata: ProviderMetadata, *, code: str, redirect_uri: str, code_verifier: str | None
    ) -> TokenGrant:
        """Redeem an authorization code; a refused code (bad, used, PKCE mismatch) is a 400."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier

        def refused(reason: str) -> ApisError:
            return BadRequestError(
                "Sign-in failed: the identity provider refused the authorization code. Please initiate login again.",
                detail=reason,
            )

        return self._token_request(metadata, form, refused)

    def refresh(self, metadata: ProviderMetadata, refresh_token: str) -> TokenGrant:
        """Redeem a refresh token; a refused one is a 401, so the client signs in again."""
        # The scope is sent because some providers (Entra ID) need it to issue the API's access token again.
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": " ".join(self._config.scopes)}

        def refused(reason: str) -> ApisError:
            return AuthenticationError("Invalid or expired refresh token. Please login again.", detail=reason)

        return self._token_request(metadata, form, refused)

    def verify_id_token(self, metadata: ProviderMetadata, id_token: str, *, nonce: str | None) -> dict[str, Any]:
        """Check the ID token's signature (the provider's JWKS), issuer, audience, expiry and ``nonce``."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.DecodeError as exc:
            raise BadRequestError(_INVALID_ID_TOKEN, detail="the ID token is not a JWT") from exc
        if header.get("alg") not in ACCEPTED_ALGORITHMS:
            raise BadRequestError(_INVALID_ID_TOKEN, detail="the ID token is not signed with RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise BadRequestError(_INVALID_ID_TOKEN, detail="the ID token names no signing key")
        try:
            key = self._signing_keys(metadata.jwks_uri).get_key(kid)
        except UnknownSigningKeyError as exc:
            raise BadRequestError(_INVALID_ID_TOKEN, detail="the ID token's signing key is unknown") from exc
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=key,
                algorithms=list(ACCEPTED_ALGORITHMS),
                audience=self._config.client_id,
                issuer=metadata.issuer,
                leeway=self._config.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise BadRequestError(_INVALID_ID_TOKEN, detail=f"ID token: {exc}") from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self._config.client_id:
            raise BadRequestError(_INVALID_ID_TOKEN, detail="ID token: azp is not this client")
        if nonce is not None:
            token_nonce = claims.get("nonce")
            # Bytes: compare_digest refuses str with non-ASCII characters, and a nonce is the provider's text.
            if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce.encode(), nonce.encode()):
                raise BadRequestError(
                    "Sign-in failed: the ID token does not belong to this login. Please initiate login again.",
                    detail="ID token nonce mismatch",
                )
        return claims

    def _discover(self) -> ProviderMetadata:
        issuer = self._config.issuer
        document = self._get_json(self.discovery_url, what="discovery")
        if document.get("issuer") != issuer:
            raise DependencyUnavailableError(
                _MISCONFIGURED, detail=f"discovery issuer {document.get('issuer')!r} is not {issuer!r}"
            )
        endpoints: dict[str, str] = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            if not isinstance(value, str) or not value:
                raise DependencyUnavailableError(_MISCONFIGURED, detail=f"discovery has no {name}")
            endpoints[name] = value
        challenge_methods = document.get("code_challenge_methods_supported")
        if isinstance(challenge_methods, list) and "S256" not in challenge_methods:
            raise DependencyUnavailableError(_MISCONFIGURED, detail="the provider does not support PKCE S256")
        end_session = document.get("end_session_endpoint")
        metadata = ProviderMetadata(
            issuer=issuer,
            authorization_endpoint=endpoints["authorization_endpoint"],
            token_endpoint=endpoints["token_endpoint"],
            jwks_uri=endpoints["jwks_uri"],
            end_session_endpoint=end_session if isinstance(end_session, str) and end_session else None,
            client_auth_method=_client_auth_method(document.get("token_endpoint_auth_methods_supported")),
        )
        logger.info("OIDC discovery loaded for %s (client authentication %s)", issuer, metadata.client_auth_method)
        return metadata

    def _signing_keys(self, jwks_uri: str) -> JwksCache:
        with self._lock:
            if self._keys is None or self._keys_uri != jwks_uri:
                self._keys = JwksCache(lambda: self._jwks(jwks_uri), ttl_seconds=self._config.discovery_ttl_seconds)
                self._keys_uri = jwks_uri
            return self._keys

    def _jwks(self, jwks_uri: str) -> dict[str, Any]:
        document = self._get_json(jwks_uri, what="JWKS")
        if not isinstance(document.get("keys"), list):
            raise DependencyUnavailableError(_UNAVAILABLE, detail="JWKS: no keys")
        return document

    def _token_request(
        self, metadata: ProviderMetadata, form: dict[str, str], refused: Callable[[str], ApisError]
    ) -> TokenGrant:
        headers = {"Accept": "application/json"}
        data = dict(form)
        config = self._config
        if metadata.client_auth_method == "client_secret_basic":
            # RFC 6749 §2.3.1: both parts are form-encoded before Base64.
            pair = f"{quote_plus(config.client_id)}:{quote_plus(config.client_secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        else:
            data |= {"client_id": config.client_id, "client_secret": config.client_secret}
        response = self._send("POST", metadata.token_endpoint, what="token endpoint", data=data, headers=headers)
        status = response.status_code
        if response.is_success:
            return _grant(_json_object(response, what="token endpoint"))
        if status == 429:
            raise DependencyUnavailableError(
                _BUSY, detail="token endpoint: HTTP 429", retry_after=_retry_after(response)
            )
        if status >= 500:
            raise DependencyUnavailableError(
                _UNAVAILABLE, detail=f"token endpoint: HTTP {status}", retry_after=_retry_after(response)
            )
        oauth_error = _oauth_error(response) if status in _REFUSAL_STATUSES else None
        if oauth_error is None and status == 401:
            # A 401 without an OAuth error body is how some providers refuse client credentials.
            oauth_error = ("invalid_client", f"HTTP {status} without an OAuth error")
        if oauth_error is None:
            # Not a refusal (RFC 6749 §5.2): a wrong token endpoint, a proxy or firewall in the way.
            raise DependencyUnavailableError(
                f"{_MISCONFIGURED}: the identity provider's token endpoint answered HTTP {status}",
                detail=f"token endpoint: HTTP {status}, not an OAuth refusal",
            )
        error, reason = oauth_error
        if error in _CLIENT_REFUSED:
            raise DependencyUnavailableError(
                f"{_MISCONFIGURED}: the identity provider refused this service's client credentials", detail=reason
            )
        raise refused(reason)

    def _get_json(self, url: str, *, what: str) -> dict[str, Any]:
        response = self._send("GET", url, what=what)
        if not response.is_success:
            raise DependencyUnavailableError(_UNAVAILABLE, detail=f"{what}: HTTP {response.status_code}")
        return _json_object(response, what=what)

    def close(self) -> None:
        """Close the connections to the provider, if any were opened."""
        with self._http_lock:
            if isinstance(self._http, httpx2.Client):
                self._http.close()

    def _http_client(self) -> httpx2.Client:
        with self._http_lock:
            if not isinstance(self._http, httpx2.Client):
                self._http = self._http()
            return self._http

    def _send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx2.Response:
        try:
            return self._http_client().request(method, url, data=data, headers=headers)
        except httpx2.TimeoutException as exc:
            raise DependencyTimeoutError(_TOO_SLOW, detail=f"{what}: {type(exc).__name__}") from exc
        except httpx2.RequestError as exc:
            raise DependencyUnavailableError(_UNREACHABLE, detail=f"{what}: {type(exc).__name__}: {exc}") from exc


def _client_auth_method(supported: object) -> ClientAuthMethod:
    methods: Sequence[object] = supported if isinstance(supported, list) else ["client_secret_basic"]
    for method in SUPPORTED_CLIENT_AUTH_METHODS:
        if method in methods:
            return method
    raise DependencyUnavailableError(
        _MISCONFIGURED, detail=f"the token endpoint accepts none of {', '.join(SUPPORTED_CLIENT_AUTH_METHODS)}"
    )


def _with_query(url: str, params: list[tuple[str, str]]) -> str:
    """``url`` with ``params`` added after any query it already has (some providers put a policy there)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + params
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def _json_object(response: httpx2.Response, *, what: str) -> dict[str, Any]:
    try:
        document = response.json()
    except ValueError as exc:
        raise DependencyUnavailableError(_UNAVAILABLE, detail=f"{what}: not JSON") from exc
    if not isinstance(document, dict):
        raise DependencyUnavailableError(_UNAVAILABLE, detail=f"{what}: not a JSON object")
    return document


def _again(error: ApisError) -> ApisError:
    """A fresh copy of a remembered error: raising the same instance again would grow its traceback."""
    return copy.copy(error)


def _oauth_error(response: httpx2.Response) -> tuple[str, str] | None:
    """The OAuth error code and a short reason of a refused token request (RFC 6749 §5.2), if it has them."""
    try:
        body = response.json()
    except ValueError:
        # JUSTIFICATION: a body that is not JSON is no OAuth refusal; the caller answers that as a misconfiguration.
        return None
    if not isinstance(body, dict):
        return None
    error, description = body.get("error"), body.get("error_description")
    if not isinstance(error, str) or not error:
        return None
    reason = f"{error}: {description}" if isinstance(description, str) and description else error
    return error, reason[:_MAX_REASON_LENGTH]


def _retry_after(response: httpx2.Response) -> int | None:
    """Seconds of the response's Retry-After (a number or an HTTP date), at most five minutes."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        seconds = int(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            # JUSTIFICATION: Retry-After is a hint; an unreadable one is no hint, and the 503 stands without it.
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = max(0, math.ceil(when.timestamp() - time.time()))
    return min(seconds, _MAX_RETRY_AFTER_SECONDS)


def _grant(body: dict[str, Any]) -> TokenGrant:
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise DependencyUnavailableError(_UNAVAILABLE, detail="token endpoint: no access_token")
    return TokenGrant(
        access_token=access_token,
        refresh_token=_optional_text(body.get("refresh_token")),
        id_token=_optional_text(body.get("id_token")),
        expires_in=_expires_in(body.get("expires_in")),
        scope=_optional_text(body.get("scope")),
    )


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _expires_in(value: object) -> int:
    """Seconds; some providers send a numeric string, and an absent or odd value means the usual hour."""
    if isinstance(value, bool):
        return DEFAULT_EXPIRES_IN
    if isinstance(value, int | float):
        seconds = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        seconds = int(value.strip())
    else:
        return DEFAULT_EXPIRES_IN
    return seconds if seconds > 0 else DEFAULT_EXPIRES_IN
