"""The dev stack's local OIDC provider on its own: discovery, sign-in page, code flow with PKCE, refresh, logout."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import jwt
import pytest

from apis.shared.auth import AuthConfig, JwksCache, JwtValidator, fetch_jwks
from devtools.config import load_config
from devtools.dev import main as dev_main
from devtools.errors import CommandError
from devtools.issuer import DEV_AUDIENCE, EMPLOYEE_NUMBER_CLAIM, DevUser, private_key
from devtools.oidc_provider import CODE_LIFETIME_SECONDS, Grant, GrantStore, OAuthError, Provider
from devtools.proc import wait_until_ready
from devtools.web_client import WebClient, web_client, web_origins
from tests.support.oidc_browser import Response, pkce_pair, read_sign_in_form, send, sign_in
from tests.support.sandbox import ROOT, free_port

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CLIENT_ID = "apis-web-dev"
CALLBACK = "http://localhost:4200/auth/callback"
EXTRA_ORIGIN = "http://localhost:4300"
CLIENT_CLAIMS = {
    EMPLOYEE_NUMBER_CLAIM, "email", "preferred_username", "name", "given_name", "family_name", "roles",
}  # fmt: skip
CODE_FLOW_ONLY = "only response_type=code (the authorization code flow)"
USER_ID_RULE = "error: --user must be 9 digits (the services' user id rule, e.g. 100000001)"
PKCE_REQUIRED = "PKCE is required: code_challenge with code_challenge_method=S256"


@dataclass(frozen=True)
class LocalProvider:
    url: str
    root: Path
    secret: str
    log: Path

    def authorize_url(self, **params: str | None) -> str:
        _, challenge = pkce_pair()
        query = {
            "client_id": CLIENT_ID, "redirect_uri": CALLBACK, "response_type": "code",
            "scope": "openid profile email offline_access", "state": "state-1", "nonce": "nonce-1",
            "code_challenge": challenge, "code_challenge_method": "S256", **params,
        }  # fmt: skip
        return f"{self.url}/authorize?{urlencode({k: v for k, v in query.items() if v is not None})}"

    def code(self, user_id: str = "100000001", **params: str) -> tuple[str, str]:
        """Sign ``user_id`` in; return the code and its verifier."""
        verifier, challenge = pkce_pair()
        redirect = sign_in(self.authorize_url(code_challenge=challenge, **params), user_id)
        assert redirect.status == 302, redirect.text
        return redirect.location_query["code"], verifier

    def token(self, form: dict[str, str], *, secret: str | None = None, basic: bool = True) -> Response:
        secret = self.secret if secret is None else secret
        if basic:
            credentials = base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()
            return send("POST", f"{self.url}/token", form=form, headers={"Authorization": f"Basic {credentials}"})
        return send("POST", f"{self.url}/token", form={**form, "client_id": CLIENT_ID, "client_secret": secret})

    def exchange(self, code: str, verifier: str, **overrides: str) -> Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}
        return self.token({**form, **overrides})

    def refresh(self, refresh_token: str) -> Response:
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def validator(self) -> JwtValidator:
        """The services' own token check, configured as scripts/dev configures them."""
        config = AuthConfig(
            issuer=self.url, audiences=(DEV_AUDIENCE,), jwks_url=f"{self.url}/.well-known/jwks.json",
            environment="development",
        )  # fmt: skip
        return JwtValidator(config, keys=JwksCache(lambda: fetch_jwks(config.jwks_url)))

    def id_claims(self, id_token: str) -> dict[str, Any]:
        key = jwt.PyJWK(send("GET", f"{self.url}/.well-known/jwks.json").json()["keys"][0])
        claims: dict[str, Any] = jwt.decode(id_token, key, algorithms=["RS256"], audience=CLIENT_ID, issuer=self.url)
        return claims


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalProvider]:
    """Only the provider process (as `scripts/dev` starts it), on a free port, in a checkout of its own."""
    root = tmp_path_factory.mktemp("provider")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ, "PYTHONPATH": str(ROOT / "scripts"), "APIS_REPO_ROOT": str(root),
        "APIS_ISSUER_PORT": str(port), "APIS_WEB_ORIGINS": f" {EXTRA_ORIGIN}/ ,",
    }  # fmt: skip
    log = root / "issuer.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "devtools.oidc_provider"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        assert wait_until_ready(f"{url}/.well-known/jwks.json", timeout=30.0, process=process), log.read_text()
        secret = (root / ".local" / "dev" / "web-client-secret").read_text().strip()
        yield LocalProvider(url, root, secret, log)
    finally:
        process.terminate()
        process.wait(timeout=10)


def assert_oauth_error(response: Response, status: int, error: str, description: str) -> None:
    assert (response.status, response.json()) == (status, {"error": error, "error_description": description})
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json"


def test_discovery_describes_the_code_flow_with_pkce(provider: LocalProvider) -> None:
    document = send("GET", f"{provider.url}/.well-known/openid-configuration").json()
    claims = document.pop("claims_supported")
    assert document == {
        "issuer": provider.url,
        "authorization_endpoint": f"{provider.url}/authorize",
        "token_endpoint": f"{provider.url}/token",
        "jwks_uri": f"{provider.url}/.well-known/jwks.json",
        "end_session_endpoint": f"{provider.url}/logout",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    assert CLIENT_CLAIMS | {"sub", "nonce"} <= set(claims)


def test_client_secret_is_private_to_the_owner(provider: LocalProvider) -> None:
    secret_file = provider.root / ".local" / "dev" / "web-client-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert len(provider.secret) >= 43


@pytest.mark.parametrize("content", ["", " \n\t\n"], ids=["empty", "whitespace"])
def test_a_blank_client_secret_file_gets_a_new_secret(tmp_path: Path, content: str) -> None:
    config = load_config(tmp_path)
    secret_file = tmp_path / ".local" / "dev" / "web-client-secret"
    secret_file.parent.mkdir(parents=True)
    secret_file.write_text(content)
    secret_file.chmod(0o644)
    secret = web_client(config).secret
    assert len(secret) >= 43
    assert secret_file.read_text() == f"{secret}\n"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    # From then on the file's secret is the secret.
    assert web_client(config).secret == secret


def test_a_client_secret_file_is_created_once(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    secret = web_client(config).secret
    secret_file = tmp_path / ".local" / "dev" / "web-client-secret"
    assert (secret_file.read_text(), stat.S_IMODE(secret_file.stat().st_mode)) == (f"{secret}\n", 0o600)
    assert web_client(config).secret == secret


@pytest.mark.parametrize("registered", ["", "the-registered-secret"], ids=["registered-empty", "registered-set"])
def test_an_empty_client_secret_authenticates_nobody(tmp_path: Path, registered: str) -> None:
    local = Provider(private_key(load_config(tmp_path)), WebClient(CLIENT_ID, registered, ("http://localhost:4200",)),
                     "http://127.0.0.1:1")  # fmt: skip
    form = "application/x-www-form-urlencoded"
    refresh = {"grant_type": "refresh_token", "refresh_token": "r"}
    post = urlencode({**refresh, "client_id": CLIENT_ID, "client_secret": ""}).encode()
    basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:".encode()).decode()
    for reply in (local.token(form, post, None), local.token(form, urlencode(refresh).encode(), basic)):
        assert (reply.status, json.loads(reply.body)) == (
            401, {"error": "invalid_client", "error_description": "client authentication failed"})  # fmt: skip


def test_sign_in_page_lists_the_three_dev_users_and_escapes_the_request(provider: LocalProvider) -> None:
    page = send("GET", provider.authorize_url(state='"><script>alert(1)</script>'))
    assert page.status == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text and "&quot;&gt;&lt;script&gt;" in page.text
    form = read_sign_in_form(page.text)
    assert (form.method, form.action) == ("post", "/authorize")
    assert form.users == [("100000001", "Dev User"), ("100000002", "Dev Admin"), ("100000003", "Second User")]
    assert form.hidden is not None
    assert form.hidden["state"] == '"><script>alert(1)</script>'
    assert form.hidden["redirect_uri"] == CALLBACK


def test_apis_web_origins_registers_more_origins(provider: LocalProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    page = send("GET", provider.authorize_url(redirect_uri=f"{EXTRA_ORIGIN}/auth/callback"))
    assert page.status == 200 and f"<code>{EXTRA_ORIGIN}</code> gets your tokens" in page.text
    monkeypatch.setenv("APIS_WEB_ORIGINS", "http://localhost:4300/app")
    with pytest.raises(CommandError, match="'http://localhost:4300/app' is not an origin like http://localhost:4300"):
        web_origins()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"redirect_uri": "https://evil.example/auth/callback"},
            "redirect_uri &#x27;https://evil.example/auth/callback&#x27;",
        ),
        ({"redirect_uri": "http://localhost:4200/auth/callback/x"}, "is not registered for apis-web-dev"),
        ({"redirect_uri": None}, "redirect_uri None is not registered"),
        ({"client_id": "someone-else"}, "Unknown client_id &#x27;someone-else&#x27;"),
        ({"client_id": None}, "Unknown client_id None"),
        ({"response_type": "token", "redirect_uri": "https://evil.example/cb"}, "is not registered"),
    ],
)
def test_an_unregistered_redirect_is_never_followed(
    provider: LocalProvider, params: dict[str, str | None], message: str
) -> None:
    response = send("GET", provider.authorize_url(**params))
    assert response.status == 400
    assert "location" not in response.headers
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert message in response.text and "Nothing was sent back to the application." in response.text


def test_a_repeated_parameter_shows_an_error_page(provider: LocalProvider) -> None:
    response = send("GET", provider.authorize_url() + "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb")
    assert (response.status, "location" in response.headers) == (400, False)
    assert "the parameter redirect_uri is given more than once" in response.text


@pytest.mark.parametrize(
    ("params", "error", "description"),
    [
        ({"response_type": "token"}, "unsupported_response_type", CODE_FLOW_ONLY),
        ({"code_challenge": None}, "invalid_request", PKCE_REQUIRED),
        ({"code_challenge_method": "plain"}, "invalid_request", PKCE_REQUIRED),
        ({"code_challenge": "short"}, "invalid_request", "code_challenge must be the unpadded base64url of a SHA-256"),
        ({"scope": "profile email"}, "invalid_scope", "scope must include openid"),
        ({"prompt": "none"}, "login_required", "the local provider always asks who is signing in"),
    ],
)  # fmt: skip
def test_other_request_errors_go_back_to_the_client_with_state(
    provider: LocalProvider, params: dict[str, str | None], error: str, description: str
) -> None:
    response = send("GET", provider.authorize_url(**params))
    assert response.status == 302
    assert response.headers["location"].startswith(CALLBACK + "?")
    assert response.location_query == {"error": error, "error_description": description, "state": "state-1"}


def test_cancel_goes_back_with_access_denied(provider: LocalProvider) -> None:
    form = read_sign_in_form(send("GET", provider.authorize_url()).text)
    assert form.hidden is not None
    response = send("POST", f"{provider.url}/authorize", form={**form.hidden, "cancel": "1"})
    assert response.status == 302
    assert response.location_query == {
        "error": "access_denied", "error_description": "the person cancelled the sign-in", "state": "state-1",
    }  # fmt: skip


def test_an_unknown_user_in_the_form_is_refused_on_the_page(provider: LocalProvider) -> None:
    redirect = sign_in(provider.authorize_url(), "999999999")
    assert (redirect.status, "location" in redirect.headers) == (400, False)
    assert "Pick one of the listed users." in redirect.text


def test_the_code_flow_gives_tokens_the_services_and_the_client_accept(provider: LocalProvider) -> None:
    verifier, challenge = pkce_pair()
    redirect = sign_in(provider.authorize_url(code_challenge=challenge, state="s-42", nonce="n-42"), "100000002")
    assert redirect.status == 302
    assert redirect.headers["location"].startswith(CALLBACK + "?code=")
    assert set(redirect.location_query) == {"code", "state"} and redirect.location_query["state"] == "s-42"

    response = provider.exchange(redirect.location_query["code"], verifier)
    assert response.status == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token", "id_token", "scope"}
    assert (tokens["token_type"], tokens["expires_in"]) == ("Bearer", 3600)
    assert tokens["scope"] == "openid profile email offline_access"

    user = provider.validator().validate(tokens["access_token"])
    assert (user.user_id, user.email, user.name) == ("100000002", "admin.100000002@example.edu", "Dev Admin")
    assert user.roles == ("Developer", "Admin", "DotNetDevelopers")
    claims: dict[str, Any] = dict(user.claims)
    assert {name: claims[name] for name in CLIENT_CLAIMS} == {
        EMPLOYEE_NUMBER_CLAIM: "100000002", "email": "admin.100000002@example.edu",
        "preferred_username": "admin.100000002@example.edu", "name": "Dev Admin", "given_name": "Dev",
        "family_name": "Admin", "roles": ["Developer", "Admin", "DotNetDevelopers"],
    }  # fmt: skip
    assert (claims["iss"], claims["aud"], claims["sub"]) == (provider.url, DEV_AUDIENCE, "dev-100000002")
    # The provider vouches for its users' addresses, so assistants shared with them are reached.
    assert (claims["email_verified"], user.verified_email) == (True, "admin.100000002@example.edu")
    assert claims["exp"] - claims["iat"] == 3600
    assert jwt.get_unverified_header(tokens["access_token"])["kid"] == "apis-dev"

    id_claims = provider.id_claims(tokens["id_token"])
    assert (id_claims["aud"], id_claims["iss"], id_claims["sub"]) == (CLIENT_ID, provider.url, "dev-100000002")
    assert id_claims["nonce"] == "n-42"
    assert id_claims["exp"] > time.time() and id_claims["iat"] <= time.time() + 1


def test_client_secret_post_is_accepted(provider: LocalProvider) -> None:
    code, verifier = provider.code("100000003")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}
    response = provider.token(form, basic=False)
    assert response.status == 200, response.text
    assert provider.validator().validate(response.json()["access_token"]).name == "Second User"


def test_a_pkce_mismatch_is_invalid_grant(provider: LocalProvider) -> None:
    code, _ = provider.code()
    other_verifier, _ = pkce_pair()
    assert_oauth_error(
        provider.exchange(code, other_verifier), 400, "invalid_grant",
        "PKCE verification failed: code_verifier does not match code_challenge",
    )  # fmt: skip


def test_a_redirect_uri_other_than_the_authorization_requests_is_invalid_grant(provider: LocalProvider) -> None:
    code, verifier = provider.code()
    response = provider.exchange(code, verifier, redirect_uri="http://127.0.0.1:4200/auth/callback")
    assert_oauth_error(response, 400, "invalid_grant", "redirect_uri differs from the authorization request's")


def test_a_replayed_code_is_invalid_grant_and_revokes_its_refresh_token(provider: LocalProvider) -> None:
    code, verifier = provider.code()
    first = provider.exchange(code, verifier)
    assert first.status == 200
    assert_oauth_error(
        provider.exchange(code, verifier), 400, "invalid_grant",
        "the code was already used; the tokens it gave are revoked",
    )  # fmt: skip
    assert_oauth_error(
        provider.refresh(first.json()["refresh_token"]), 400, "invalid_grant",
        "the refresh token is unknown, expired or already used",
    )  # fmt: skip


def test_a_wrong_client_secret_is_invalid_client_and_leaves_the_code_usable(provider: LocalProvider) -> None:
    code, verifier = provider.code()
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}
    for basic in (True, False):
        response = provider.token(form, secret="not-the-secret", basic=basic)
        assert_oauth_error(response, 401, "invalid_client", "client authentication failed")
        assert response.headers["www-authenticate"] == 'Basic realm="apis-dev"'
    assert provider.exchange(code, verifier).status == 200


def test_unknown_grant_types_and_missing_fields_are_named(provider: LocalProvider) -> None:
    assert_oauth_error(
        provider.token({"grant_type": "password"}), 400, "unsupported_grant_type",
        "grant types: authorization_code, refresh_token",
    )  # fmt: skip
    response = provider.token({"grant_type": "authorization_code", "code": "x", "redirect_uri": CALLBACK})
    assert_oauth_error(response, 400, "invalid_request", "code_verifier is required")
    assert_oauth_error(
        provider.exchange("no-such-code", pkce_pair()[0]), 400, "invalid_grant", "the code is unknown or expired"
    )


def test_refresh_tokens_rotate(provider: LocalProvider) -> None:
    code, verifier = provider.code("100000003")
    first = provider.exchange(code, verifier).json()
    second = provider.refresh(first["refresh_token"])
    assert second.status == 200, second.text
    rotated = second.json()
    assert set(rotated) == {"access_token", "token_type", "expires_in", "refresh_token", "id_token", "scope"}
    assert rotated["refresh_token"] != first["refresh_token"]
    assert provider.validator().validate(rotated["access_token"]).user_id == "100000003"
    assert "nonce" not in provider.id_claims(rotated["id_token"])
    assert_oauth_error(
        provider.refresh(first["refresh_token"]), 400, "invalid_grant",
        "the refresh token is unknown, expired or already used",
    )  # fmt: skip
    assert provider.refresh(rotated["refresh_token"]).status == 200
    assert_oauth_error(
        provider.refresh("never-issued"), 400, "invalid_grant", "the refresh token is unknown, expired or already used"
    )


@pytest.mark.parametrize(
    ("uri", "location"),
    [
        ("http://localhost:4200", "http://localhost:4200?state=bye"),
        ("http://127.0.0.1:4200/", "http://127.0.0.1:4200/?state=bye"),
        (EXTRA_ORIGIN, f"{EXTRA_ORIGIN}?state=bye"),
    ],
)
def test_logout_returns_to_a_registered_address(provider: LocalProvider, uri: str, location: str) -> None:
    query = urlencode({"client_id": CLIENT_ID, "post_logout_redirect_uri": uri, "state": "bye"})
    response = send("GET", f"{provider.url}/logout?{query}")
    assert (response.status, response.headers["location"]) == (302, location)


def test_logout_checks_the_address_and_the_id_token_hint(provider: LocalProvider) -> None:
    code, verifier = provider.code()
    tokens = provider.exchange(code, verifier).json()
    query = urlencode({"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://localhost:4200"})
    assert send("GET", f"{provider.url}/logout?{query}").headers["location"] == "http://localhost:4200"

    refused = {
        "post_logout_redirect_uri 'https://evil.example' is not registered": {
            "post_logout_redirect_uri": "https://evil.example"
        },
        "post_logout_redirect_uri 'http://localhost:4200/app' is not registered": {
            "post_logout_redirect_uri": "http://localhost:4200/app"
        },
        "id_token_hint is not an ID token this provider gave apis-web-dev.": {
            "id_token_hint": tokens["access_token"], "post_logout_redirect_uri": "http://localhost:4200",
        },
        "Unknown client_id 'other'": {"client_id": "other", "post_logout_redirect_uri": "http://localhost:4200"},
    }  # fmt: skip
    for message, params in refused.items():
        response = send("GET", f"{provider.url}/logout?{urlencode(params)}")
        assert (response.status, "location" in response.headers) == (400, False), message
        assert message.replace("'", "&#x27;") in response.text

    signed_out = send("GET", f"{provider.url}/logout")
    assert signed_out.status == 200 and "<h1>Signed out</h1>" in signed_out.text


def test_unknown_paths_and_methods(provider: LocalProvider) -> None:
    assert send("GET", f"{provider.url}/userinfo").status == 404
    wrong_method = send("GET", f"{provider.url}/token")
    assert (wrong_method.status, wrong_method.headers["allow"]) == (405, "POST")


def test_the_log_names_paths_but_no_query_codes_or_secrets(provider: LocalProvider) -> None:
    code, verifier = provider.code(state="state-in-the-log?")
    assert provider.exchange(code, verifier).status == 200
    log = provider.log.read_text()
    assert " GET /authorize 200" in log and " POST /authorize 302" in log and " POST /token 200" in log
    for secret in (code, verifier, provider.secret, "state-in-the-log", "code_challenge", "?"):
        assert secret not in log


def test_a_code_expires_after_a_minute() -> None:
    now = [1000.0]
    store = GrantStore(clock=lambda: now[0])
    grant = Grant("g", CLIENT_ID, DevUser("100000001", "Dev User", "d@example.edu", ("Developer",)), "openid", 0)
    fresh = store.issue_code(grant, redirect_uri=CALLBACK, code_challenge="c", nonce=None)
    stale = store.issue_code(grant, redirect_uri=CALLBACK, code_challenge="c", nonce=None)
    now[0] += CODE_LIFETIME_SECONDS - 1
    assert store.redeem_code(fresh).grant == grant
    now[0] += 2
    with pytest.raises(OAuthError) as refused:
        store.redeem_code(stale)
    assert (refused.value.error, refused.value.description) == ("invalid_grant", "the code is unknown or expired")


def test_dev_token_refuses_a_user_id_the_services_refuse(provider: LocalProvider) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts"), "APIS_REPO_ROOT": str(provider.root)}
    result = subprocess.run(
        [sys.executable, "-m", "devtools.dev", "token", "--user", "42"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"{USER_ID_RULE}\n"


@pytest.mark.parametrize("user_id", ["1000000010", "10000000a", "", " 100000001"])
def test_dev_token_checks_the_whole_user_id(
    provider: LocalProvider, user_id: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APIS_REPO_ROOT", str(provider.root))
    assert dev_main(["token", "--user", user_id]) == 2
    assert capsys.readouterr() == ("", f"{USER_ID_RULE}\n")


def test_dev_token_for_a_valid_user_is_accepted_for_eight_hours(
    provider: LocalProvider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APIS_REPO_ROOT", str(provider.root))
    monkeypatch.setenv("APIS_ISSUER_PORT", provider.url.rsplit(":", 1)[1])
    assert dev_main(["token", "--user", "100000003"]) == 0
    user = provider.validator().validate(capsys.readouterr().out.strip())
    assert (user.user_id, user.name, user.roles) == ("100000003", "Dev User", ("Developer",))
    claims: dict[str, Any] = dict(user.claims)
    assert claims["exp"] - claims["iat"] == 8 * 3600
