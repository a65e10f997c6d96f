"""Sign-in (``/auth/*``) against a fake identity provider that checks PKCE, client credentials and codes.

The provider is an ``httpx2.MockTransport``: discovery, JWKS, and a token
endpoint that redeems each code once, only with the verifier whose S256
challenge was in the authorization URL, and signs ID tokens with the login's
nonce. ``FakeProvider.authorize`` plays the browser's trip through the
provider's sign-in page.
"""

from __future__ import annotations

import base64
import dataclasses
import email.utils
import hashlib
import logging
import secrets
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from apis.app_api.auth import build_sign_in_service
from apis.app_api.auth.provider import OidcClient, OidcClientConfig
from apis.app_api.auth.service import default_post_logout_redirect_uris, provider_http_client
from apis.app_api.dependencies import get_container
from apis.app_api.settings import AppApiSettings
from apis.shared.auth import DynamoDBStateStore, OIDCStateData
from apis.shared.aws import from_item
from apis.shared.errors import DependencyTimeoutError, DependencyUnavailableError
from tests.app_api.conftest import SIGNING_KEY, make_app
from tests.support.faults import FAULT_IDS, FAULTS, Fault, inject_fault
from tests.support.tokens import AUDIENCE, ISSUER, SigningKey, issue, jwks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from fastapi import FastAPI

CLIENT_ID = "apis-web-client"
CLIENT_SECRET = "client-secret-5f2a9c"
REDIRECT_URI = "http://localhost:4200/auth/callback"
OTHER_REDIRECT_URI = "https://chat.example.edu/auth/callback"
POST_LOGOUT_URI = "http://localhost:4200/"
SCOPE = "openid profile email offline_access"
DISCOVERY_URL = f"{ISSUER}/.well-known/openid-configuration"
AUTHORIZE_URL = "https://login.example.test/tenant/oauth2/authorize"
TOKEN_URL = "https://login.example.test/tenant/oauth2/token"
JWKS_URL = "https://login.example.test/tenant/discovery/keys"
END_SESSION_URL = "https://login.example.test/tenant/oauth2/logout"
INVALID_STATE = "Invalid or expired state parameter. Please initiate login again."
REFRESH_REFUSED = "Invalid or expired refresh token. Please login again."
UNREACHABLE = "The identity provider is unreachable"
TOO_SLOW = "The identity provider did not answer in time"
BACKOFF_SECONDS = 15.0


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


class FakeProvider:
    """An OpenID provider on a mock transport; ``failure`` makes every call fail one way."""

    def __init__(self, key: SigningKey, *, auth_methods: list[str] | None = None) -> None:
        self.key = key
        self.auth_methods = auth_methods or ["client_secret_basic"]
        self.end_session = True
        self.issuer = ISSUER
        self.client_secret = CLIENT_SECRET
        self.failure: str | None = None
        self.token_reply: httpx2.Response | None = None  # when set, the token endpoint answers this
        self.id_token_nonce: str | None = None  # when set, ID tokens carry this nonce instead of the login's
        self.send_id_token = True
        self.rotate_refresh_tokens = True
        self.logins: dict[str, dict[str, str]] = {}  # code -> the authorization request's parameters
        self.refresh_tokens: set[str] = set()
        self.requests: list[httpx2.Request] = []
        self.token_forms: list[dict[str, str]] = []
        self.issued: list[str] = []  # every token it handed out

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handle)

    def authorize(self, authorization_url: str) -> str:
        """The user signs in; the provider redirects back with this code."""
        assert authorization_url.startswith(AUTHORIZE_URL + "?")
        code = "code-" + secrets.token_urlsafe(16)
        self.logins[code] = query_of(authorization_url)
        return code

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if self.failure == "unreachable":
            raise httpx2.ConnectError("connection refused", request=request)
        if self.failure == "timeout":
            raise httpx2.ReadTimeout("timed out", request=request)
        if self.failure == "error":
            return httpx2.Response(500, text="internal error")
        url = str(request.url)
        if request.method == "GET" and url == DISCOVERY_URL:
            return httpx2.Response(200, json=self.discovery())
        if request.method == "GET" and url == JWKS_URL:
            return httpx2.Response(200, json=jwks(self.key))
        if request.method == "POST" and url == TOKEN_URL:
            return self.token(request)
        return httpx2.Response(404, json={"error": "not_found"})

    def discovery(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": AUTHORIZE_URL,
            "token_endpoint": TOKEN_URL,
            "jwks_uri": JWKS_URL,
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": self.auth_methods,
        }
        if self.end_session:
            document["end_session_endpoint"] = END_SESSION_URL
        return document

    def token(self, request: httpx2.Request) -> httpx2.Response:
        form = dict(parse_qsl(request.content.decode()))
        self.token_forms.append(form)
        if self.token_reply is not None:
            return self.token_reply
        if not self.client_authenticated(request, form):
            return refusal("invalid_client", "client authentication failed", status=401)
        grants = {"authorization_code": self.redeem_code, "refresh_token": self.redeem_refresh_token}
        grant = grants.get(form.get("grant_type", ""))
        return grant(form) if grant else refusal("unsupported_grant_type", form.get("grant_type", ""))

    def redeem_code(self, form: dict[str, str]) -> httpx2.Response:
        login = self.logins.pop(form.get("code", ""), None)
        if login is None:
            return refusal("invalid_grant", "the code is unknown or was already used")
        if form.get("redirect_uri") != login["redirect_uri"]:
            return refusal("invalid_grant", "redirect_uri does not match the authorization request")
        if s256(form.get("code_verifier", "")) != login["code_challenge"]:
            return refusal("invalid_grant", "PKCE verification failed")
        return self.tokens(nonce=login["nonce"])

    def redeem_refresh_token(self, form: dict[str, str]) -> httpx2.Response:
        if form.get("refresh_token") not in self.refresh_tokens:
            return refusal("invalid_grant", "the refresh token has expired")
        return self.tokens(nonce=None)

    def client_authenticated(self, request: httpx2.Request, form: dict[str, str]) -> bool:
        header = request.headers.get("Authorization", "")
        if "client_secret_basic" in self.auth_methods and header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
            return (unquote_plus(client_id), unquote_plus(secret)) == (CLIENT_ID, self.client_secret)
        if "client_secret_post" in self.auth_methods:
            return (form.get("client_id"), form.get("client_secret")) == (CLIENT_ID, self.client_secret)
        return False

    def tokens(self, *, nonce: str | None) -> httpx2.Response:
        # The access token is one app-api itself accepts as a bearer token.
        access_token = issue(self.key, jti=secrets.token_hex(8))
        id_token = issue(self.key, aud=CLIENT_ID, nonce=self.id_token_nonce or nonce, jti=secrets.token_hex(8))
        body: dict[str, Any] = {"access_token": access_token, "id_token": id_token, "token_type": "Bearer",
                                "expires_in": 3599, "scope": SCOPE}  # fmt: skip
        if not self.send_id_token:
            del body["id_token"]
        if self.rotate_refresh_tokens:
            body["refresh_token"] = "refresh-" + secrets.token_urlsafe(16)
            self.refresh_tokens.add(body["refresh_token"])
        self.issued += [value for name, value in body.items() if name.endswith("_token")]
        return httpx2.Response(200, json=body)


def refusal(error: str, description: str, *, status: int = 400) -> httpx2.Response:
    return httpx2.Response(status, json={"error": error, "error_description": description})


class FakeClock:
    """The monotonic clock of the OIDC client; tests move it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def settings() -> AppApiSettings:
    # oidc_issuer is left empty: sign-in falls back to auth_issuer, the provider the bearer tokens come from.
    return AppApiSettings(
        environment="test",
        auth_issuer=ISSUER,
        auth_audiences=[AUDIENCE],
        auth_jwks_url="unused",
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=SecretStr(CLIENT_SECRET),
        oidc_redirect_uri=REDIRECT_URI,
        oidc_allowed_redirect_uris=[OTHER_REDIRECT_URI],
        oidc_post_logout_redirect_uris=[POST_LOGOUT_URI],
    )


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider(SIGNING_KEY)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def with_provider(
    app: FastAPI, settings: AppApiSettings, dynamodb: Any, provider: FakeProvider, clock: FakeClock | None = None
) -> FastAPI:
    http = httpx2.Client(transport=provider.transport())
    app.state.container.sign_in = build_sign_in_service(settings, dynamodb, http=http, clock=clock or FakeClock())
    return app


@pytest.fixture
def app(settings, dynamodb, s3, knowledge_base, model, provider: FakeProvider, clock: FakeClock) -> FastAPI:
    app = make_app(settings, dynamodb, s3, knowledge_base, model)
    return with_provider(app, settings, dynamodb, provider, clock)


def assert_error(response: httpx2.Response, status: int, code: str, message: str | None = None, **fields: Any) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    if message is not None:
        assert error["message"] == message
    assert error["requestId"] == response.headers["X-Request-ID"]
    for name, value in fields.items():
        assert error.get(name) == value, (name, error)


def login(client: TestClient, **params: str) -> tuple[str, str]:
    """GET /auth/login; returns (authorization_url, state)."""
    response = client.get("/auth/login", params=params or {"prompt": "select_account"})
    assert response.status_code == 200, response.text
    body = response.json()
    return body["authorization_url"], body["state"]


def stored_state(dynamodb: Any, state: str) -> dict[str, Any] | None:
    key = {"PK": {"S": f"STATE#{state}"}, "SK": {"S": f"STATE#{state}"}}
    item = dynamodb.get_item(TableName="oidc-state", Key=key, ConsistentRead=True).get("Item")
    return from_item(item) if item else None


def state_count(dynamodb: Any) -> int:
    return int(dynamodb.scan(TableName="oidc-state", Select="COUNT")["Count"])


def sign_in(client: TestClient, provider: FakeProvider) -> dict[str, Any]:
    """The whole browser flow: login, the provider's page, the callback's token exchange."""
    url, state = login(client)
    response = client.post("/auth/token", json={"code": provider.authorize(url), "state": state})
    assert response.status_code == 200, response.text
    return dict(response.json())


# ------------------------------------------------------------------ login


def test_the_sign_in_routes_are_public(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    operations = {("get", "/auth/login"), ("post", "/auth/token"), ("post", "/auth/refresh"), ("get", "/auth/logout")}
    assert {
        (method, path) for path, item in paths.items() if path.startswith("/auth/") for method in item
    } == operations
    assert all("security" not in paths[path][method] for method, path in operations)
    assert "security" in paths["/users/search"]["get"]  # what a route with CurrentUser looks like


def test_login_returns_the_provider_url_with_every_parameter_and_stores_the_state(
    client: TestClient, dynamodb, provider: FakeProvider
) -> None:
    before = int(time.time())
    response = client.get("/auth/login", params={"prompt": "select_account"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"authorization_url", "state"}
    url, state = body["authorization_url"], body["state"]
    assert url.split("?")[0] == AUTHORIZE_URL
    params = query_of(url)
    assert set(params) == {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
                           "code_challenge_method", "response_mode", "prompt"}  # fmt: skip
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == REDIRECT_URI
    assert params["scope"] == SCOPE
    assert params["state"] == state
    assert params["code_challenge_method"] == "S256"
    assert params["response_mode"] == "query"
    assert params["prompt"] == "select_account"
    assert len(state) >= 43
    assert len(params["nonce"]) >= 43
    item = stored_state(dynamodb, state)
    assert item is not None
    assert item["redirectUri"] == REDIRECT_URI
    assert item["nonce"] == params["nonce"]
    assert s256(item["codeVerifier"]) == params["code_challenge"]
    assert 43 <= len(item["codeVerifier"]) <= 128
    assert before + 600 <= int(item["expiresAt"]) <= int(time.time()) + 600
    # Discovery from the issuer's well-known document (auth_issuer, as oidc_issuer is empty).
    assert [str(request.url) for request in provider.requests] == [DISCOVERY_URL]


def test_login_without_prompt_sends_none_and_states_are_fresh(client: TestClient) -> None:
    first_url, first_state = login(client, redirect_uri=REDIRECT_URI)
    second_url, second_state = login(client, redirect_uri=REDIRECT_URI)
    assert "prompt" not in query_of(first_url)
    assert first_state != second_state
    assert query_of(first_url)["nonce"] != query_of(second_url)["nonce"]
    assert query_of(first_url)["code_challenge"] != query_of(second_url)["code_challenge"]


def test_discovery_is_fetched_once_and_cached(client: TestClient, provider: FakeProvider) -> None:
    login(client)
    login(client)
    assert [str(request.url) for request in provider.requests] == [DISCOVERY_URL]


def test_login_with_an_allowed_redirect_uri(client: TestClient, dynamodb) -> None:
    url, state = login(client, redirect_uri=OTHER_REDIRECT_URI)
    assert query_of(url)["redirect_uri"] == OTHER_REDIRECT_URI
    assert (stored_state(dynamodb, state) or {}).get("redirectUri") == OTHER_REDIRECT_URI


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        # The client sends no redirect_uri: the callback is on the page's own origin when that is allowed...
        ("https://chat.example.edu", OTHER_REDIRECT_URI),
        ("http://localhost:4200", REDIRECT_URI),
        # ...and the configured one otherwise, never a callback on an unknown origin.
        ("https://evil.example", REDIRECT_URI),
    ],
)
def test_login_takes_the_callback_of_the_pages_origin_when_allowed(
    client: TestClient, dynamodb, origin: str, expected: str
) -> None:
    response = client.get("/auth/login", params={"prompt": "select_account"}, headers={"Origin": origin})
    assert response.status_code == 200
    state = response.json()["state"]
    assert query_of(response.json()["authorization_url"])["redirect_uri"] == expected
    assert (stored_state(dynamodb, state) or {}).get("redirectUri") == expected


@pytest.mark.parametrize(
    "redirect_uri", ["https://evil.example/auth/callback", "http://localhost:4200/auth/callback/../../steal"]
)
def test_login_refuses_a_redirect_uri_that_is_not_allowed(client: TestClient, dynamodb, redirect_uri: str) -> None:
    response = client.get("/auth/login", params={"redirect_uri": redirect_uri})
    assert_error(response, 400, "bad_request", "redirect_uri is not an allowed redirect URI", field="redirect_uri")
    assert state_count(dynamodb) == 0


def test_login_refuses_an_unknown_prompt(client: TestClient, dynamodb) -> None:
    response = client.get("/auth/login", params={"prompt": "select_account&foo=bar"})
    assert_error(response, 400, "bad_request", field="prompt")
    assert state_count(dynamodb) == 0


# ------------------------------------------------------------------ token


def test_token_exchange_returns_what_the_client_stores(client: TestClient, dynamodb, provider: FakeProvider) -> None:
    url, state = login(client)
    code = provider.authorize(url)
    # No Authorization header: the client has no token yet.
    response = client.post("/auth/token", json={"code": code, "state": state})
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    access_token, id_token, refresh_token = provider.issued
    assert body == {"access_token": access_token, "refresh_token": refresh_token, "id_token": id_token,
                    "token_type": "Bearer", "expires_in": 3599, "scope": SCOPE}  # fmt: skip
    form = provider.token_forms[-1]
    stored_verifier = form["code_verifier"]
    assert form == {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                    "code_verifier": stored_verifier}  # fmt: skip
    assert s256(stored_verifier) == query_of(url)["code_challenge"]
    (token_request,) = [request for request in provider.requests if str(request.url) == TOKEN_URL]
    expected_basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token_request.headers["Authorization"] == f"Basic {expected_basic}"
    assert stored_state(dynamodb, state) is None
    # The access token is one app-api accepts.
    search = client.get("/users/search", params={"q": "nobody"}, headers={"Authorization": f"Bearer {access_token}"})
    assert search.status_code == 200


def test_client_secret_post_when_the_provider_only_takes_that(app, settings, dynamodb, client: TestClient) -> None:
    provider = FakeProvider(SIGNING_KEY, auth_methods=["client_secret_post", "private_key_jwt"])
    with_provider(app, settings, dynamodb, provider)
    sign_in(client, provider)
    form = provider.token_forms[-1]
    assert (form["client_id"], form["client_secret"]) == (CLIENT_ID, CLIENT_SECRET)
    assert all("Authorization" not in request.headers for request in provider.requests)


def test_a_missing_expires_in_is_an_hour_and_the_scope_defaults_to_the_request(
    client: TestClient, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = provider.tokens

    def tokens_without_extras(*, nonce: str | None) -> httpx2.Response:
        body = original(nonce=nonce).json()
        return httpx2.Response(200, json={k: v for k, v in body.items() if k not in ("expires_in", "scope")})

    monkeypatch.setattr(provider, "tokens", tokens_without_extras)
    body = sign_in(client, provider)
    assert (body["expires_in"], body["scope"]) == (3600, SCOPE)


def test_a_state_is_good_for_one_exchange(client: TestClient, provider: FakeProvider) -> None:
    url, state = login(client)
    code = provider.authorize(url)
    assert client.post("/auth/token", json={"code": code, "state": state}).status_code == 200
    replay = client.post("/auth/token", json={"code": code, "state": state})
    assert_error(replay, 400, "bad_request", INVALID_STATE, field="state")
    assert len(provider.token_forms) == 1


def test_an_expired_state_is_refused(client: TestClient, dynamodb, provider: FakeProvider) -> None:
    login(client)  # the provider's discovery is loaded; only the state is wrong below
    long_ago = DynamoDBStateStore(dynamodb, "oidc-state", clock=lambda: time.time() - 601)
    long_ago.store_state("stale-state", OIDCStateData(REDIRECT_URI, "verifier-" + "v" * 40, "nonce"), ttl_seconds=600)
    assert stored_state(dynamodb, "stale-state") is not None
    response = client.post("/auth/token", json={"code": "code-x", "state": "stale-state"})
    assert_error(response, 400, "bad_request", INVALID_STATE, field="state")
    assert provider.token_forms == []


def test_an_unknown_state_is_refused(client: TestClient, provider: FakeProvider) -> None:
    url, _ = login(client)
    response = client.post("/auth/token", json={"code": provider.authorize(url), "state": "never-issued"})
    assert_error(response, 400, "bad_request", INVALID_STATE, field="state")
    assert provider.token_forms == []


def test_a_code_from_another_login_fails_pkce(client: TestClient, provider: FakeProvider) -> None:
    """An injected code (issued for another login's challenge) is refused by the provider: 400 with its reason."""
    their_url, _ = login(client)
    _, our_state = login(client)
    response = client.post("/auth/token", json={"code": provider.authorize(their_url), "state": our_state})
    assert_error(response, 400, "bad_request", detail="invalid_grant: PKCE verification failed")
    assert response.json()["error"]["message"].startswith("Sign-in failed: the identity provider refused")


def test_an_id_token_with_another_nonce_is_refused(client: TestClient, provider: FakeProvider) -> None:
    provider.id_token_nonce = "the-nonce-of-another-login"
    url, state = login(client)
    response = client.post("/auth/token", json={"code": provider.authorize(url), "state": state})
    assert_error(response, 400, "bad_request", detail="ID token nonce mismatch")


def test_an_id_token_with_a_non_ascii_nonce_is_refused(client: TestClient, provider: FakeProvider) -> None:
    provider.id_token_nonce = "nonce-\u00e9t\u00e9-\U0001f600"
    url, state = login(client)
    response = client.post("/auth/token", json={"code": provider.authorize(url), "state": state})
    assert_error(
        response,
        400,
        "bad_request",
        "Sign-in failed: the ID token does not belong to this login. Please initiate login again.",
        detail="ID token nonce mismatch",
    )


def test_a_code_exchange_without_an_id_token_is_a_503(client: TestClient, dynamodb, provider: FakeProvider) -> None:
    """The openid scope was asked for: without an ID token the login's nonce cannot be checked."""
    provider.send_id_token = False
    url, state = login(client)
    response = client.post("/auth/token", json={"code": provider.authorize(url), "state": state})
    assert_error(
        response, 503, "service_unavailable", "The identity provider returned no ID token for an OpenID Connect sign-in"
    )
    assert set(response.json()) == {"error"}
    assert stored_state(dynamodb, state) is None  # the state is spent: the client starts a new login


def test_without_the_openid_scope_a_code_exchange_needs_no_id_token(
    app, settings: AppApiSettings, dynamodb, provider: FakeProvider, client: TestClient
) -> None:
    with_provider(app, settings.model_copy(update={"oidc_scopes": ["offline_access"]}), dynamodb, provider)
    provider.send_id_token = False
    body = sign_in(client, provider)
    assert (body["access_token"], body["id_token"]) == (provider.issued[0], None)


def test_a_refresh_without_an_id_token_is_accepted(client: TestClient, provider: FakeProvider) -> None:
    first = sign_in(client, provider)
    provider.send_id_token = False
    response = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.text
    assert (response.json()["access_token"], response.json()["id_token"]) == (provider.issued[-2], None)


@pytest.mark.parametrize(
    ("claims", "signer", "detail"),
    [
        ({"aud": "another-client"}, SIGNING_KEY, "ID token: Audience doesn't match"),
        ({"iss": "https://elsewhere.example"}, SIGNING_KEY, "ID token: Invalid issuer"),
        ({}, SigningKey("impostor"), "the ID token's signing key is unknown"),
    ],
    ids=["audience", "issuer", "signing-key"],
)
def test_an_id_token_that_does_not_verify_is_refused(
    client: TestClient, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch, claims, signer, detail
) -> None:
    original = provider.tokens

    def forged(*, nonce: str | None) -> httpx2.Response:
        body = original(nonce=nonce).json()
        body["id_token"] = issue(signer, **{"aud": CLIENT_ID, "nonce": nonce, **claims})
        return httpx2.Response(200, json=body)

    monkeypatch.setattr(provider, "tokens", forged)
    url, state = login(client)
    response = client.post("/auth/token", json={"code": provider.authorize(url), "state": state})
    assert_error(response, 400, "bad_request", detail=detail)


def test_a_refused_client_is_a_misconfiguration(client: TestClient, provider: FakeProvider) -> None:
    url, state = login(client)
    provider.client_secret = "rotated-at-the-provider"
    response = client.post("/auth/token", json={"code": provider.authorize(url), "state": state})
    assert_error(
        response,
        503,
        "service_unavailable",
        "Sign-in is misconfigured: the identity provider refused this service's client credentials",
    )
    assert "detail" not in response.json()["error"]  # internal text stays internal outside development


BUSY = "The identity provider is busy. Please try again shortly."


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [({"Retry-After": "120"}, "120"), ({"Retry-After": "86400"}, "300"), ({}, None)],
    ids=["seconds", "capped", "absent"],
)
def test_a_throttled_token_request_is_a_503_that_keeps_the_user_signed_in(
    client: TestClient, provider: FakeProvider, headers: dict[str, str], retry_after: str | None
) -> None:
    """A 429 is not the user's refusal: /auth/refresh must not answer 401, which signs the client out."""
    first = sign_in(client, provider)
    url, state = login(client)
    code = provider.authorize(url)
    # An OAuth-looking body does not make a 429 a refusal.
    provider.token_reply = httpx2.Response(429, headers=headers, json={"error": "temporarily_unavailable"})
    for response in (
        client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}),
        client.post("/auth/token", json={"code": code, "state": state}),
    ):
        assert_error(response, 503, "service_unavailable", BUSY)
        assert response.headers.get("Retry-After") == retry_after
    provider.token_reply = None
    assert client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}).status_code == 200


def test_a_throttled_token_request_passes_on_an_http_date_retry_after(
    client: TestClient, provider: FakeProvider
) -> None:
    first = sign_in(client, provider)
    when = email.utils.formatdate(time.time() + 90, usegmt=True)
    provider.token_reply = httpx2.Response(429, headers={"Retry-After": when})
    response = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_error(response, 503, "service_unavailable", BUSY)
    assert 88 <= int(response.headers["Retry-After"]) <= 91


@pytest.mark.parametrize(
    ("reply", "status"),
    [
        (httpx2.Response(404, text="<html><body>Not Found</body></html>"), 404),
        (httpx2.Response(400, text="Bad Request"), 400),
        (httpx2.Response(400, json={"message": "no error member"}), 400),
        (httpx2.Response(403, json={"error": "access_denied", "error_description": "blocked by a firewall"}), 403),
    ],
    ids=["404-html", "400-text", "400-json-without-error", "403-with-an-oauth-body"],
)
def test_a_token_endpoint_answer_that_is_no_oauth_refusal_is_a_misconfiguration(
    client: TestClient, provider: FakeProvider, reply: httpx2.Response, status: int
) -> None:
    """Only 400/401 with an RFC 6749 error body refuse the code or the refresh token; anything else is our fault."""
    first = sign_in(client, provider)
    url, state = login(client)
    code = provider.authorize(url)
    provider.token_reply = reply
    message = f"Sign-in is misconfigured: the identity provider's token endpoint answered HTTP {status}"
    assert_error(client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}), 503,
                 "service_unavailable", message)  # fmt: skip
    assert_error(client.post("/auth/token", json={"code": code, "state": state}), 503, "service_unavailable", message)


def test_a_401_without_an_oauth_body_is_a_refused_client(client: TestClient, provider: FakeProvider) -> None:
    first = sign_in(client, provider)
    provider.token_reply = httpx2.Response(401, text="Unauthorized")
    response = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_error(
        response,
        503,
        "service_unavailable",
        "Sign-in is misconfigured: the identity provider refused this service's client credentials",
    )


def test_a_token_endpoint_refusal_in_development_names_the_reason(
    dynamodb, s3, knowledge_base, model, settings: AppApiSettings, provider: FakeProvider
) -> None:
    development = settings.model_copy(update={"environment": "development"})
    app = with_provider(make_app(development, dynamodb, s3, knowledge_base, model), development, dynamodb, provider)
    provider.token_reply = httpx2.Response(404, text="Not Found")
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/auth/refresh", json={"refresh_token": "r"})
    assert_error(response, 503, "service_unavailable", detail="token endpoint: HTTP 404, not an OAuth refusal")


@pytest.mark.parametrize(
    ("failure", "status", "code", "message"),
    [
        ("unreachable", 503, "service_unavailable", "The identity provider is unreachable"),
        ("timeout", 504, "timeout", "The identity provider did not answer in time"),
        ("error", 503, "service_unavailable", "The identity provider is unavailable"),
    ],
)
def test_provider_failures(
    client: TestClient,
    dynamodb,
    provider: FakeProvider,
    clock: FakeClock,
    failure: str,
    status: int,
    code: str,
    message: str,
) -> None:
    # Discovery fails: nothing is stored, and during the back-off the same error comes without a call.
    provider.failure = failure
    assert_error(client.get("/auth/login"), status, code, message)
    clock.advance(BACKOFF_SECONDS - 0.1)
    assert_error(client.get("/auth/login"), status, code, message)
    assert [str(request.url) for request in provider.requests] == [DISCOVERY_URL]
    assert state_count(dynamodb) == 0
    # The token endpoint fails after a good login (once the back-off is over).
    provider.failure = None
    clock.advance(0.1)
    url, state = login(client)
    code_value = provider.authorize(url)
    provider.failure = failure
    assert_error(client.post("/auth/token", json={"code": code_value, "state": state}), status, code, message)
    assert_error(client.post("/auth/refresh", json={"refresh_token": "r"}), status, code, message)


def test_a_provider_with_another_issuer_is_refused(client: TestClient, dynamodb, provider: FakeProvider) -> None:
    provider.issuer = "https://impostor.example.test/"
    assert_error(client.get("/auth/login"), 503, "service_unavailable", "Sign-in is misconfigured")
    assert state_count(dynamodb) == 0


STORAGE_FAILURE_MESSAGES = {
    "throttling": "A required service is busy; try again shortly",
    "internal": "A required service is unavailable",
    "access_denied": "A required service is unavailable",
    "timeout": "A required service timed out",
}


def assert_storage_failure(response: httpx2.Response, fault: Fault) -> None:
    """The whole envelope: no detail (internal outside development), and Retry-After only when throttled."""
    assert response.status_code == fault.status, response.text
    assert response.json() == {
        "error": {
            "code": fault.code,
            "message": STORAGE_FAILURE_MESSAGES[fault.name],
            "requestId": response.headers["X-Request-ID"],
        }
    }
    assert response.headers.get("Retry-After") == ("1" if fault.name == "throttling" else None)


# ------------------------------------------------------------------ discovery under load


def discovery_client(
    handle: Callable[[httpx2.Request], httpx2.Response], clock: FakeClock, **timing: float
) -> OidcClient:
    config = OidcClientConfig(issuer=ISSUER, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                              scopes=tuple(SCOPE.split()), **timing)  # fmt: skip
    return OidcClient(config, httpx2.Client(transport=httpx2.MockTransport(handle)), clock=clock)


def test_concurrent_failing_discoveries_call_the_provider_once(clock: FakeClock) -> None:
    """A slow, failing provider: one request asks it, the others get its 503 as soon as it fails."""
    good = FakeProvider(SIGNING_KEY)
    calls: list[str] = []
    failing = True

    def handle(request: httpx2.Request) -> httpx2.Response:
        calls.append(str(request.url))
        if failing:
            time.sleep(0.3)
            raise httpx2.ConnectError("connection refused", request=request)
        return good.handle(request)

    oidc = discovery_client(handle, clock, discovery_backoff_seconds=BACKOFF_SECONDS)
    callers = 8
    barrier = threading.Barrier(callers)

    def discover() -> object:
        barrier.wait(timeout=5)
        return oidc.metadata()

    started = time.monotonic()
    with ThreadPoolExecutor(callers) as pool:
        futures = [pool.submit(discover) for _ in range(callers)]
        wait(futures, timeout=10)
    elapsed = time.monotonic() - started
    errors = [future.exception() for future in futures]
    assert [type(error) for error in errors] == [DependencyUnavailableError] * callers
    assert {str(error) for error in errors} == {UNREACHABLE}
    assert calls == [DISCOVERY_URL]
    assert elapsed < 1.5  # one 0.3 s call for all; one after another would take 2.4 s
    # Within the back-off: the same 503 at once, and no call.
    clock.advance(BACKOFF_SECONDS - 0.1)
    started = time.monotonic()
    with pytest.raises(DependencyUnavailableError) as remembered:
        oidc.metadata()
    assert time.monotonic() - started < 0.1
    assert (remembered.value.message, remembered.value.detail) == (
        UNREACHABLE, "discovery: ConnectError: connection refused")  # fmt: skip
    assert calls == [DISCOVERY_URL]
    # After it, the provider is asked again.
    failing = False
    clock.advance(0.1)
    assert oidc.metadata().token_endpoint == TOKEN_URL
    assert calls == [DISCOVERY_URL] * 2


def test_a_remembered_timeout_is_raised_again_as_a_504(clock: FakeClock) -> None:
    calls: list[str] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        calls.append(str(request.url))
        raise httpx2.ReadTimeout("timed out", request=request)

    oidc = discovery_client(handle, clock, discovery_backoff_seconds=BACKOFF_SECONDS)
    for _ in range(3):
        with pytest.raises(DependencyTimeoutError) as raised:
            oidc.metadata()
        assert (raised.value.status_code, raised.value.message) == (504, TOO_SLOW)
    assert calls == [DISCOVERY_URL]


def test_requests_wait_a_bounded_time_for_a_hanging_discovery(clock: FakeClock) -> None:
    """A provider that hangs ties up one thread: the others answer 504 after the wait, not in a queue."""
    good = FakeProvider(SIGNING_KEY)
    calls: list[str] = []
    entered, release = threading.Event(), threading.Event()

    def handle(request: httpx2.Request) -> httpx2.Response:
        calls.append(str(request.url))
        entered.set()
        release.wait(timeout=10)
        return good.handle(request)

    oidc = discovery_client(handle, clock, discovery_wait_seconds=0.3)
    with ThreadPoolExecutor(6) as pool:
        try:
            fetcher = pool.submit(oidc.metadata)
            assert entered.wait(timeout=5)
            started = time.monotonic()
            waiters = [pool.submit(oidc.metadata) for _ in range(5)]
            finished, _ = wait(waiters, timeout=3)
            elapsed = time.monotonic() - started
        finally:
            release.set()
    assert len(finished) == 5
    assert elapsed < 1.5
    errors = [waiter.exception() for waiter in waiters]
    assert [type(error) for error in errors] == [DependencyTimeoutError] * 5
    assert {str(error) for error in errors} == {TOO_SLOW}
    # The fetch itself went on, and its answer serves everyone after it.
    assert fetcher.result().token_endpoint == TOKEN_URL
    assert oidc.metadata().token_endpoint == TOKEN_URL
    assert calls == [DISCOVERY_URL]


def test_discovery_is_fetched_again_once_the_cached_copy_expires(clock: FakeClock) -> None:
    provider = FakeProvider(SIGNING_KEY)
    oidc = discovery_client(provider.handle, clock, discovery_ttl_seconds=600)
    assert oidc.metadata().end_session_endpoint == END_SESSION_URL
    provider.end_session = False
    clock.advance(599.9)
    assert oidc.metadata().end_session_endpoint == END_SESSION_URL
    assert len(provider.requests) == 1
    clock.advance(0.1)
    assert oidc.metadata().end_session_endpoint is None
    assert [str(request.url) for request in provider.requests] == [DISCOVERY_URL] * 2


def test_the_provider_client_connects_briefly_and_reads_within_the_timeout(settings: AppApiSettings) -> None:
    http = provider_http_client(settings)
    assert http.timeout == httpx2.Timeout(10.0, connect=3.0)
    assert http.follow_redirects is False
    tuned = settings.model_copy(update={"oidc_connect_timeout_seconds": 1.5, "oidc_timeout_seconds": 4.0})
    assert provider_http_client(tuned).timeout == httpx2.Timeout(4.0, connect=1.5)


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_state_table_failures_are_5xx(client: TestClient, dynamodb, provider: FakeProvider, fault: Fault) -> None:
    with inject_fault(dynamodb, "PutItem", fault, table="oidc-state") as failed:
        assert_storage_failure(client.get("/auth/login"), fault)
    assert failed == ["PutItem"]
    url, state = login(client)
    with inject_fault(dynamodb, "DeleteItem", fault, table="oidc-state") as failed:
        response = client.post("/auth/token", json={"code": provider.authorize(url), "state": state})
    assert_storage_failure(response, fault)
    assert failed == ["DeleteItem"]
    assert provider.token_forms == []


def test_token_request_validation_is_a_422(client: TestClient) -> None:
    assert_error(client.post("/auth/token", json={"state": "s"}), 422, "validation_error", field="body.code")


# ------------------------------------------------------------------ refresh


def test_refresh_returns_new_tokens(client: TestClient, provider: FakeProvider) -> None:
    first = sign_in(client, provider)
    response = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.text
    access_token, id_token, refresh_token = provider.issued[3:]
    assert response.json() == {"access_token": access_token, "refresh_token": refresh_token, "id_token": id_token,
                               "token_type": "Bearer", "expires_in": 3599, "scope": SCOPE}  # fmt: skip
    assert refresh_token != first["refresh_token"]
    assert provider.token_forms[-1] == {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                                        "scope": SCOPE}  # fmt: skip


def test_refresh_keeps_the_refresh_token_when_the_provider_sends_none(
    client: TestClient, provider: FakeProvider
) -> None:
    first = sign_in(client, provider)
    provider.rotate_refresh_tokens = False
    response = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    assert response.json()["refresh_token"] == first["refresh_token"]
    assert response.json()["access_token"] == provider.issued[-2]


def test_a_refused_refresh_token_is_a_401(client: TestClient, provider: FakeProvider) -> None:
    response = client.post("/auth/refresh", json={"refresh_token": "refresh-long-revoked"})
    assert_error(response, 401, "unauthorized", REFRESH_REFUSED, detail="invalid_grant: the refresh token has expired")


# ------------------------------------------------------------------ logout


def test_logout_url(client: TestClient) -> None:
    # The client sends its origin without the trailing slash; the configured spelling goes to the provider.
    response = client.get("/auth/logout", params={"post_logout_redirect_uri": "http://localhost:4200"})
    assert response.status_code == 200
    url = response.json()["logout_url"]
    assert url.split("?")[0] == END_SESSION_URL
    assert query_of(url) == {"client_id": CLIENT_ID, "post_logout_redirect_uri": POST_LOGOUT_URI}
    bare = client.get("/auth/logout").json()["logout_url"]
    assert query_of(bare) == {"client_id": CLIENT_ID}


def test_logout_accepts_an_expired_bearer_token(client: TestClient) -> None:
    expired = issue(SIGNING_KEY, exp=int(time.time()) - 3600)
    response = client.get("/auth/logout", params={"post_logout_redirect_uri": POST_LOGOUT_URI},
                          headers={"Authorization": f"Bearer {expired}"})  # fmt: skip
    assert response.status_code == 200


def test_logout_without_an_end_session_endpoint_goes_straight_back(client: TestClient, provider) -> None:
    provider.end_session = False
    response = client.get("/auth/logout", params={"post_logout_redirect_uri": "http://localhost:4200"})
    assert response.json() == {"logout_url": POST_LOGOUT_URI}


def test_logout_refuses_a_post_logout_uri_that_is_not_allowed(client: TestClient) -> None:
    response = client.get("/auth/logout", params={"post_logout_redirect_uri": "https://evil.example"})
    assert_error(
        response,
        400,
        "bad_request",
        "post_logout_redirect_uri is not an allowed post-logout redirect URI",
        field="post_logout_redirect_uri",
    )


def test_post_logout_uris_default_to_the_origins_of_the_redirect_uris(
    app, settings: AppApiSettings, dynamodb, provider: FakeProvider, client: TestClient
) -> None:
    with_provider(app, settings.model_copy(update={"oidc_post_logout_redirect_uris": []}), dynamodb, provider)
    for sent, expected in [("http://localhost:4200", "http://localhost:4200"),
                           ("https://chat.example.edu/", "https://chat.example.edu")]:  # fmt: skip
        response = client.get("/auth/logout", params={"post_logout_redirect_uri": sent})
        assert response.status_code == 200, response.text
        assert query_of(response.json()["logout_url"]) == {"client_id": CLIENT_ID, "post_logout_redirect_uri": expected}
    response = client.get("/auth/logout", params={"post_logout_redirect_uri": "https://evil.example"})
    assert_error(response, 400, "bad_request", field="post_logout_redirect_uri")


def test_a_configured_post_logout_list_is_the_whole_list(client: TestClient) -> None:
    # The fixture lists only http://localhost:4200/: the origin of another allowed callback is not added.
    response = client.get("/auth/logout", params={"post_logout_redirect_uri": "https://chat.example.edu"})
    assert_error(
        response,
        400,
        "bad_request",
        "post_logout_redirect_uri is not an allowed post-logout redirect URI",
        field="post_logout_redirect_uri",
    )


def test_the_default_post_logout_uris_are_origins() -> None:
    assert default_post_logout_redirect_uris(
        ["http://localhost:4200/auth/callback", "https://user@chat.example.edu:8443/auth/callback?x=1",
         "http://localhost:4200/elsewhere", "", "not-a-uri", "http://[::1]:4200/auth/callback"]
    ) == ("http://localhost:4200", "https://chat.example.edu:8443", "http://[::1]:4200")  # fmt: skip


# ------------------------------------------------------------------ configuration


def test_unconfigured_sign_in_is_503_naming_the_settings(
    dynamodb, s3, knowledge_base, model, provider: FakeProvider
) -> None:
    bare = AppApiSettings(environment="test", auth_issuer=ISSUER, auth_audiences=[AUDIENCE], auth_jwks_url="unused",
                          oidc_client_id=CLIENT_ID)  # fmt: skip
    app = with_provider(make_app(bare, dynamodb, s3, knowledge_base, model), bare, dynamodb, provider)
    missing = ["APP_API_OIDC_CLIENT_SECRET", "APP_API_OIDC_REDIRECT_URI"]
    message = "Sign-in is not configured: set APP_API_OIDC_CLIENT_SECRET, APP_API_OIDC_REDIRECT_URI"
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/health").status_code == 200
        for response in (
            client.get("/auth/login"),
            client.post("/auth/token", json={"code": "c", "state": "s"}),
            client.post("/auth/refresh", json={"refresh_token": "r"}),
            client.get("/auth/logout"),
        ):
            assert_error(response, 503, "service_unavailable", message, metadata={"missing": missing})
    assert provider.requests == []


def test_the_sign_in_routes_take_the_service_from_the_container_dependency(
    app: FastAPI, dynamodb, provider: FakeProvider, client: TestClient
) -> None:
    """The routes use ContainerDep, so overriding get_container reaches them as it reaches every other route."""
    bare = AppApiSettings(environment="test", auth_issuer=ISSUER, auth_audiences=[AUDIENCE], auth_jwks_url="unused",
                          oidc_client_id=CLIENT_ID)  # fmt: skip
    unconfigured = build_sign_in_service(bare, dynamodb, http=httpx2.Client(transport=provider.transport()))
    other = dataclasses.replace(app.state.container, sign_in=unconfigured)
    app.dependency_overrides[get_container] = lambda: other
    response = client.get("/auth/login")
    assert_error(response, 503, "service_unavailable",
                 "Sign-in is not configured: set APP_API_OIDC_CLIENT_SECRET, APP_API_OIDC_REDIRECT_URI")  # fmt: skip
    assert provider.requests == []


@pytest.mark.parametrize(
    "first",
    ["apis.app_api.auth", "apis.app_api.auth.routes", "apis.app_api.container", "apis.app_api.dependencies"],
)
def test_the_sign_in_package_imports_in_any_order(first: str) -> None:
    """The container imports the sign-in service and the routes import the container: no cycle either way."""
    result = subprocess.run(
        [sys.executable, "-c", f"import {first}; import apis.app_api.main"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_API_OIDC_CLIENT_SECRET", "from-a-secret-store")
    monkeypatch.setenv("APP_API_OIDC_POST_LOGOUT_REDIRECT_URIS", '["http://localhost:4200/"]')
    settings = AppApiSettings(environment="test")
    assert settings.oidc_client_secret is not None
    assert settings.oidc_client_secret.get_secret_value() == "from-a-secret-store"
    assert "from-a-secret-store" not in repr(settings)
    assert settings.oidc_post_logout_redirect_uris == ["http://localhost:4200/"]
    assert (settings.oidc_state_table, settings.oidc_state_ttl_seconds, settings.oidc_scopes) == (
        "oidc-state", 600, ["openid", "profile", "email", "offline_access"])  # fmt: skip


# ------------------------------------------------------------------ logs


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx2", "httpcore2", "apis", "apis.app_api.auth"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


def test_no_secret_reaches_a_log_line(
    client: TestClient, provider: FakeProvider, all_logs: pytest.LogCaptureFixture
) -> None:
    url, state = login(client)
    code = provider.authorize(url)
    tokens = client.post("/auth/token", json={"code": code, "state": state}).json()
    client.post("/auth/token", json={"code": code, "state": state})  # a replay, logged as rejected
    refreshed = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json()
    client.post("/auth/refresh", json={"refresh_token": "refresh-stolen-and-revoked"})
    assert refreshed["access_token"] != tokens["access_token"]

    def text(records: list[logging.LogRecord]) -> str:
        formatter = logging.Formatter()
        return "\n".join(
            record.getMessage() + (formatter.formatException(record.exc_info) if record.exc_info else "")
            for record in records
        )

    records = all_logs.records
    logged = text(records)
    assert any(record.name == "httpx2" for record in records), "httpx2's request log must be captured"
    assert "sign-in completed" in logged
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    (verifier,) = [form["code_verifier"] for form in provider.token_forms if "code_verifier" in form]
    assert len(provider.issued) == 6
    for secret in [CLIENT_SECRET, basic, code, *provider.issued, "refresh-stolen-and-revoked"]:
        assert secret not in logged
    # The verifier has to be stored, and botocore's DEBUG wire log prints every DynamoDB request and
    # response body (that of the state table too): only those two loggers may carry it.
    wire_loggers = {"botocore.endpoint", "botocore.parsers"}
    assert verifier not in text([record for record in records if record.name not in wire_loggers])
