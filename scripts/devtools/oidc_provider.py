"""The local OIDC provider of the dev stack: a sign-in page, the code flow with PKCE, refresh and logout.

    python -m devtools.oidc_provider     (`scripts/dev` starts it on APIS_ISSUER_PORT, 8090)

    GET  /.well-known/openid-configuration   discovery
    GET  /.well-known/jwks.json              the signing key (the readiness probe)
    GET  /authorize                          the sign-in page: a person picks a dev user
    POST /authorize                          the pick: 302 to the client with a one-time code
    POST /token                              authorization_code (PKCE S256) and refresh_token grants
    GET  /logout                             RP-initiated logout, back to a registered address

One confidential client is registered (``devtools.web_client``). Codes live
60 seconds and are single-use; refresh tokens rotate on every use. Both live in
this process's memory only (development), so a restart forgets them. The log
names method, path and status, never a query string or a form field.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import SplitResult, parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from devtools.issuer import (
    DEV_USERS,
    EMPLOYEE_NUMBER_CLAIM,
    DevUser,
    access_token,
    issuer_port,
    issuer_url,
    jwks,
    private_key,
    sign,
    user_claims,
)
from devtools.web_client import WebClient, web_client

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "ACCESS_TOKEN_LIFETIME_SECONDS",
    "CODE_LIFETIME_SECONDS",
    "SUPPORTED_SCOPES",
    "AuthorizationRequest",
    "Grant",
    "GrantStore",
    "OAuthError",
    "PageError",
    "PendingCode",
    "Provider",
    "ProviderHandler",
    "Reply",
    "main",
    "make_server",
]

CODE_LIFETIME_SECONDS = 60
# An hour, so that the web client's refresh path runs in a working day (`scripts/dev token` gives 8 hours).
ACCESS_TOKEN_LIFETIME_SECONDS = 3600
REFRESH_TOKEN_LIFETIME_SECONDS = 24 * 3600
# How long a redeemed code is remembered, so that a replay can revoke what it granted (RFC 6749 §4.1.2).
USED_CODE_MEMORY_SECONDS = 3600
SUPPORTED_SCOPES = ("openid", "profile", "email", "offline_access")
_STANDARD_CLAIMS = (
    "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce",
    "name", "given_name", "family_name", "preferred_username", "email", "roles",
)  # fmt: skip
MAX_FORM_BYTES = 16 * 1024
_CODE_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")  # RFC 7636 §4.1
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256, unpadded
_FORM_TYPE = "application/x-www-form-urlencoded"
_PAGE_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}"
    "ul{list-style:none;padding:0}li{margin:.5rem 0}"
    "button{font:inherit;width:100%;text-align:left;padding:.6rem 1rem;cursor:pointer}"
    "small{display:block;color:#555}code{background:#f3f3f3;padding:0 .2rem}"
)


class OAuthError(Exception):
    """A refusal in the terms of RFC 6749: ``error``, ``error_description`` and the HTTP status."""

    def __init__(self, error: str, description: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class PageError(Exception):
    """A request that cannot safely go back to the client: the person sees this page instead."""


@dataclass(frozen=True)
class Grant:
    """What a person let a client have; a code and every refresh token after it point here."""

    grant_id: str
    client_id: str
    user: DevUser
    scope: str
    auth_time: int


@dataclass(frozen=True)
class PendingCode:
    """An authorization code, bound to everything the token request must repeat."""

    grant: Grant
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    expires_at: float


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked ``/authorize`` request."""

    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    state: str | None
    nonce: str | None

    def form_fields(self) -> dict[str, str]:
        """The request again, for the sign-in form to post back."""
        fields = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": self.scope,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
            "state": self.state,
            "nonce": self.nonce,
        }
        return {name: value for name, value in fields.items() if value is not None}


class GrantStore:
    """Codes and refresh tokens of this process, each usable once."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, PendingCode] = {}
        self._used_codes: dict[str, tuple[str, float]] = {}
        self._refresh_tokens: dict[str, tuple[Grant, float]] = {}

    def issue_code(self, grant: Grant, *, redirect_uri: str, code_challenge: str, nonce: str | None) -> str:
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._forget_expired()
            expires_at = self._clock() + CODE_LIFETIME_SECONDS
            self._codes[code] = PendingCode(grant, redirect_uri, code_challenge, nonce, expires_at)
        return code

    def redeem_code(self, code: str) -> PendingCode:
        """Take ``code``; a second use is refused and revokes the refresh tokens of its grant."""
        with self._lock:
            self._forget_expired()
            pending = self._codes.pop(code, None)
            if pending is None:
                used = self._used_codes.get(code)
                if used is None:
                    raise OAuthError("invalid_grant", "the code is unknown or expired")
                self._refresh_tokens = {
                    token: entry for token, entry in self._refresh_tokens.items() if entry[0].grant_id != used[0]
                }
                raise OAuthError("invalid_grant", "the code was already used; the tokens it gave are revoked")
            self._used_codes[code] = (pending.grant.grant_id, self._clock() + USED_CODE_MEMORY_SECONDS)
            return pending

    def issue_refresh_token(self, grant: Grant) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh_tokens[token] = (grant, self._clock() + REFRESH_TOKEN_LIFETIME_SECONDS)
        return token

    def redeem_refresh_token(self, token: str, client_id: str, scope: str | None) -> Grant:
        """Take ``token`` (of ``client_id``); ``scope`` may narrow the new tokens, never widen them."""
        with self._lock:
            self._forget_expired()
            entry = self._refresh_tokens.get(token)
            if entry is None or entry[0].client_id != client_id:
                raise OAuthError("invalid_grant", "the refresh token is unknown, expired or already used")
            grant = entry[0]
            if scope is not None and not set(scope.split()) <= set(grant.scope.split()):
                raise OAuthError("invalid_scope", "a refresh cannot add scopes to the original grant")
            del self._refresh_tokens[token]
        return grant

    def _forget_expired(self) -> None:
        now = self._clock()
        self._codes = {code: pending for code, pending in self._codes.items() if pending.expires_at > now}
        self._used_codes = {code: used for code, used in self._used_codes.items() if used[1] > now}
        self._refresh_tokens = {token: entry for token, entry in self._refresh_tokens.items() if entry[1] > now}


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, headers, body."""

    status: HTTPStatus
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


def _json_reply(payload: Mapping[str, Any], status: HTTPStatus = HTTPStatus.OK, *,
                headers: tuple[tuple[str, str], ...] = ()) -> Reply:  # fmt: skip
    return Reply(status, json.dumps(payload).encode(), (("Content-Type", "application/json"), *_NO_STORE, *headers))


def _page(status: HTTPStatus, title: str, body: str) -> Reply:
    document = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · apis dev</title><style>{_PAGE_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )
    headers = (
        ("Content-Type", "text/html; charset=utf-8"),
        *_NO_STORE,
        ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
        ("X-Frame-Options", "DENY"),
    )
    return Reply(status, document.encode(), headers)


def _error_page(message: str) -> Reply:
    body = f"<h1>Sign-in error</h1><p>{html.escape(message)}</p><p>Nothing was sent back to the application.</p>"
    return _page(HTTPStatus.BAD_REQUEST, "Sign-in error", body)


def _with_query(uri: str, params: Mapping[str, str | None]) -> str:
    parts = urlsplit(uri)
    added = urlencode({name: value for name, value in params.items() if value is not None})
    query = "&".join(part for part in (parts.query, added) if part)
    return urlunsplit(parts._replace(query=query))


def _redirect(uri: str, params: Mapping[str, str | None]) -> Reply:
    return Reply(HTTPStatus.FOUND, headers=(("Location", _with_query(uri, params)), *_NO_STORE))


def _parameters(encoded: str) -> dict[str, str]:
    """Request parameters; an empty one counts as absent, a repeated one is refused (RFC 6749 §3.1)."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(encoded, keep_blank_values=True):
        if name in params:
            raise ValueError(f"the parameter {name} is given more than once")
        if value:
            params[name] = value
    return params


def _form(content_type: str | None, body: bytes) -> dict[str, str]:
    if (content_type or "").split(";", 1)[0].strip().lower() != _FORM_TYPE:
        raise ValueError(f"the body must be {_FORM_TYPE}")
    return _parameters(body.decode("utf-8", errors="replace"))


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def _basic_credentials(header: str) -> tuple[str, str]:
    """``client_id`` and secret of an HTTP Basic header, each form-decoded (RFC 6749 §2.3.1)."""
    scheme, _, encoded = header.strip().partition(" ")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except ValueError as exc:
        raise OAuthError("invalid_client", "malformed Basic credentials", HTTPStatus.UNAUTHORIZED) from exc
    client_id, colon, secret = decoded.partition(":")
    if scheme.lower() != "basic" or not colon:
        raise OAuthError("invalid_client", "client authentication must be HTTP Basic", HTTPStatus.UNAUTHORIZED)
    return unquote_plus(client_id), unquote_plus(secret)


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if value is None:
        raise OAuthError("invalid_request", f"{name} is required")
    return value


class Provider:
    """The endpoints, independent of the HTTP server that carries them."""

    def __init__(self, key: Any, client: WebClient, issuer: str, store: GrantStore | None = None) -> None:
        self.key = key
        self.client = client
        self.issuer = issuer
        self.store = store or GrantStore()
        self.jwks = jwks(key)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            "end_session_endpoint": f"{self.issuer}/logout",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": list(SUPPORTED_SCOPES),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": [*_STANDARD_CLAIMS, EMPLOYEE_NUMBER_CLAIM],
        }

    # ------------------------------------------------------------ /authorize

    def authorize_page(self, query: str) -> Reply:
        params = self._page_parameters(query)
        redirect_uri = self._registered_redirect_uri(params)
        try:
            request = self._authorization_request(params, redirect_uri)
            if "none" in params.get("prompt", "").split():
                raise OAuthError("login_required", "the local provider always asks who is signing in")
        except OAuthError as refusal:
            # JUSTIFICATION: the refusal is the answer: RFC 6749 §4.1.2.1 sends it back to the client.
            return self._refuse_to_client(redirect_uri, params.get("state"), refusal)
        return _page(HTTPStatus.OK, "Sign in", self._sign_in_form(request))

    def authorize_decision(self, content_type: str | None, body: bytes) -> Reply:
        try:
            params = _form(content_type, body)
        except ValueError as exc:
            raise PageError(str(exc)) from exc
        redirect_uri = self._registered_redirect_uri(params)
        try:
            request = self._authorization_request(params, redirect_uri)
            if "cancel" in params:
                raise OAuthError("access_denied", "the person cancelled the sign-in")
        except OAuthError as refusal:
            # JUSTIFICATION: the refusal is the answer: RFC 6749 §4.1.2.1 sends it back to the client.
            return self._refuse_to_client(redirect_uri, params.get("state"), refusal)
        user = next((user for user in DEV_USERS if user.user_id == params.get("user")), None)
        if user is None:
            raise PageError("Pick one of the listed users.")
        grant = Grant(secrets.token_hex(8), request.client_id, user, request.scope, int(time.time()))
        code = self.store.issue_code(
            grant, redirect_uri=redirect_uri, code_challenge=request.code_challenge, nonce=request.nonce
        )
        return _redirect(redirect_uri, {"code": code, "state": request.state})

    def _registered_redirect_uri(self, params: Mapping[str, str]) -> str:
        """The request's redirect_uri if its client registered it; otherwise nothing may go back there."""
        client_id = params.get("client_id")
        if client_id != self.client.client_id:
            raise PageError(f"Unknown client_id {client_id!r}: the registered client is {self.client.client_id}.")
        redirect_uri = params.get("redirect_uri")
        if redirect_uri not in self.client.redirect_uris:
            registered = ", ".join(self.client.redirect_uris)
            raise PageError(f"redirect_uri {redirect_uri!r} is not registered for {client_id} (it has {registered}).")
        return redirect_uri

    @staticmethod
    def _authorization_request(params: Mapping[str, str], redirect_uri: str) -> AuthorizationRequest:
        response_type = _required(params, "response_type")
        if response_type != "code":
            raise OAuthError("unsupported_response_type", "only response_type=code (the authorization code flow)")
        if params.get("response_mode", "query") != "query":
            raise OAuthError("invalid_request", "only response_mode=query")
        scopes = params.get("scope", "").split()
        if "openid" not in scopes:
            raise OAuthError("invalid_scope", "scope must include openid")
        challenge = params.get("code_challenge")
        if challenge is None or params.get("code_challenge_method") != "S256":
            raise OAuthError("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
        if not _S256_CHALLENGE.fullmatch(challenge):
            raise OAuthError("invalid_request", "code_challenge must be the unpadded base64url of a SHA-256")
        return AuthorizationRequest(
            client_id=params["client_id"],
            redirect_uri=redirect_uri,
            scope=" ".join(scope for scope in SUPPORTED_SCOPES if scope in scopes),
            code_challenge=challenge,
            state=params.get("state"),
            nonce=params.get("nonce"),
        )

    @staticmethod
    def _refuse_to_client(redirect_uri: str, state: str | None, refusal: OAuthError) -> Reply:
        params = {"error": refusal.error, "error_description": refusal.description, "state": state}
        return _redirect(redirect_uri, params)

    def _sign_in_form(self, request: AuthorizationRequest) -> str:
        escape = html.escape
        hidden = "".join(
            f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
            for name, value in request.form_fields().items()
        )
        people = "".join(
            f'<li><button type="submit" name="user" value="{escape(user.user_id)}">'
            f"<strong>{escape(user.name)}</strong>"
            f"<small>{escape(user.user_id)} · {escape(user.email)} · roles {escape(', '.join(user.roles))}</small>"
            "</button></li>"
            for user in DEV_USERS
        )
        back_to = urlsplit(request.redirect_uri)
        return (
            "<h1>Sign in</h1>"
            "<p>The local OIDC provider of the apis dev stack. Pick who you are; "
            f"<code>{escape(request.client_id)}</code> on "
            f"<code>{escape(f'{back_to.scheme}://{back_to.netloc}')}</code> gets your tokens.</p>"
            f'<form method="post" action="/authorize">{hidden}<ul>{people}</ul>'
            '<p><button type="submit" name="cancel" value="1">Cancel</button></p></form>'
        )

    # ------------------------------------------------------------ /token

    def token(self, content_type: str | None, body: bytes, authorization: str | None) -> Reply:
        try:
            try:
                params = _form(content_type, body)
            except ValueError as exc:
                raise OAuthError("invalid_request", str(exc)) from exc
            self._authenticate(params, authorization)
            grant_type = _required(params, "grant_type")
            if grant_type == "authorization_code":
                payload = self._exchange_code(params)
            elif grant_type == "refresh_token":
                payload = self._refresh(params)
            else:
                raise OAuthError("unsupported_grant_type", "grant types: authorization_code, refresh_token")
        except OAuthError as refusal:
            # JUSTIFICATION: the refusal is the answer: the token endpoint's JSON error (RFC 6749 §5.2).
            challenge = (("WWW-Authenticate", 'Basic realm="apis-dev"'),)
            headers = challenge if refusal.status == HTTPStatus.UNAUTHORIZED else ()
            error = {"error": refusal.error, "error_description": refusal.description}
            return _json_reply(error, refusal.status, headers=headers)
        return _json_reply(payload)

    def _authenticate(self, params: Mapping[str, str], authorization: str | None) -> None:
        if authorization is not None:
            if "client_secret" in params:
                raise OAuthError("invalid_request", "use one client authentication method, not two")
            client_id, secret = _basic_credentials(authorization)
            if params.get("client_id", client_id) != client_id:
                raise OAuthError("invalid_request", "client_id differs from the authenticated client")
        else:
            client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
        # An empty secret authenticates nobody, even when the registered one is empty too.
        known = bool(secret) and hmac.compare_digest(secret.encode(), self.client.secret.encode())
        if client_id != self.client.client_id or not known:
            raise OAuthError("invalid_client", "client authentication failed", HTTPStatus.UNAUTHORIZED)

    def _exchange_code(self, params: Mapping[str, str]) -> dict[str, Any]:
        code, redirect_uri = _required(params, "code"), _required(params, "redirect_uri")
        verifier = _required(params, "code_verifier")
        pending = self.store.redeem_code(code)
        if pending.grant.client_id != self.client.client_id:
            raise OAuthError("invalid_grant", "the code was issued to another client")
        if redirect_uri != pending.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request's")
        if not _CODE_VERIFIER.fullmatch(verifier) or not hmac.compare_digest(_s256(verifier), pending.code_challenge):
            raise OAuthError("invalid_grant", "PKCE verification failed: code_verifier does not match code_challenge")
        return self._tokens(pending.grant, nonce=pending.nonce)

    def _refresh(self, params: Mapping[str, str]) -> dict[str, Any]:
        token = _required(params, "refresh_token")
        scope = params.get("scope")
        grant = self.store.redeem_refresh_token(token, self.client.client_id, scope)
        payload = self._tokens(grant, nonce=None)
        return payload if scope is None else {**payload, "scope": scope}

    def _tokens(self, grant: Grant, *, nonce: str | None) -> dict[str, Any]:
        now = int(time.time())
        id_claims: dict[str, Any] = {
            **user_claims(grant.user),
            "iss": self.issuer,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + ACCESS_TOKEN_LIFETIME_SECONDS,
            "auth_time": grant.auth_time,
        }
        if nonce is not None:
            id_claims["nonce"] = nonce
        return {
            "access_token": access_token(self.key, grant.user, lifetime_seconds=ACCESS_TOKEN_LIFETIME_SECONDS),
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_LIFETIME_SECONDS,
            "refresh_token": self.store.issue_refresh_token(grant),
            "id_token": sign(self.key, id_claims),
            "scope": grant.scope,
        }

    # ------------------------------------------------------------ /logout

    def logout(self, query: str) -> Reply:
        params = self._page_parameters(query)
        client_id = params.get("client_id")
        if client_id is not None and client_id != self.client.client_id:
            raise PageError(f"Unknown client_id {client_id!r}: the registered client is {self.client.client_id}.")
        hint = params.get("id_token_hint")
        if hint is not None:
            self._check_id_token_hint(hint)
        uri = params.get("post_logout_redirect_uri")
        if uri is None:
            body = "<h1>Signed out</h1><p>The local provider keeps no session: the next sign-in asks again.</p>"
            return _page(HTTPStatus.OK, "Signed out", body)
        if not self.client.allows_post_logout_redirect(uri):
            registered = ", ".join(self.client.post_logout_redirect_uris)
            raise PageError(f"post_logout_redirect_uri {uri!r} is not registered (the client has {registered}).")
        return _redirect(uri, {"state": params.get("state")})

    def _check_id_token_hint(self, hint: str) -> None:
        import jwt

        try:
            jwt.decode(
                hint, self.key.public_key(), algorithms=["RS256"], audience=self.client.client_id,
                issuer=self.issuer, options={"verify_exp": False},
            )  # fmt: skip
        except jwt.InvalidTokenError as exc:
            raise PageError(f"id_token_hint is not an ID token this provider gave {self.client.client_id}.") from exc

    @staticmethod
    def _page_parameters(query: str) -> dict[str, str]:
        try:
            return _parameters(query)
        except ValueError as exc:
            raise PageError(str(exc)) from exc


class _UnreadableBodyError(Exception):
    """A body without a usable Content-Length, or larger than any form of this provider."""


class ProviderHandler(BaseHTTPRequestHandler):
    """Routes requests to the ``Provider``; writes a log line without query or body."""

    provider: ClassVar[Provider]
    server_version = "apis-dev-oidc"

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        try:
            reply = self._route(urlsplit(self.path))
        except PageError as refusal:
            # JUSTIFICATION: the provider's one translation point: a refusal becomes its error page.
            reply = _error_page(str(refusal))
        except _UnreadableBodyError:
            # JUSTIFICATION: the same translation point: an unreadable form is answered with a 413.
            reply = Reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"a form of at most 16 KiB with Content-Length\n")
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _route(self, url: SplitResult) -> Reply:
        provider, path, query = self.provider, url.path, url.query
        routes: dict[tuple[str, str], Callable[[], Reply]] = {
            ("GET", "/.well-known/openid-configuration"): lambda: _json_reply(provider.discovery()),
            ("GET", "/.well-known/jwks.json"): lambda: _json_reply(provider.jwks),
            ("GET", "/authorize"): lambda: provider.authorize_page(query),
            ("POST", "/authorize"): lambda: provider.authorize_decision(self.headers["Content-Type"], self._body()),
            ("POST", "/token"): lambda: provider.token(
                self.headers["Content-Type"], self._body(), self.headers["Authorization"]
            ),
            ("GET", "/logout"): lambda: provider.logout(query),
        }
        route = routes.get((self.command, path))
        if route is not None:
            return route()
        allowed = [method for method, known in routes if known == path]
        if allowed:
            return Reply(HTTPStatus.METHOD_NOT_ALLOWED, b"method not allowed\n", (("Allow", ", ".join(allowed)),))
        return Reply(HTTPStatus.NOT_FOUND, b"not found\n", (("Content-Type", "text/plain"),))

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            raise _UnreadableBodyError
        return self.rfile.read(int(length))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(getattr(self, "path", "")).path or "-"
        print(f"{self.log_date_time_string()} {self.command or '-'} {path} {code}", flush=True)

    def log_error(self, format: str, *args: Any) -> None:
        # The standard messages quote the raw request line, query string and all; log_request
        # still records the status of every answer.
        return


def make_server(provider: Provider, port: int) -> ThreadingHTTPServer:
    class Handler(ProviderHandler):
        pass

    Handler.provider = provider
    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main(argv: list[str] | None = None) -> int:
    import argparse

    from devtools.config import load_config

    parser = argparse.ArgumentParser(prog="devtools.oidc_provider", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    config = load_config()
    provider = Provider(private_key(config), web_client(config), issuer_url())
    server = make_server(provider, issuer_port())
    print(f"issuer: serving {issuer_url()} (client {provider.client.client_id})", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    from devtools.cli import run

    run(main)
