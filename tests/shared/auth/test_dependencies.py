"""Authentication through a FastAPI app: envelopes, headers, role gates, background user sync."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from apis.shared.auth import DEVELOPMENT_USER, AuthConfig, Authenticator, AuthMode, JwksCache, User
from apis.shared.auth.dependencies import CurrentUser, install_authentication
from apis.shared.auth.rbac import has_any_role, require_roles
from apis.shared.http import install_error_handlers
from tests.support.tokens import AUDIENCE, ISSUER, SigningKey, issue, jwks

if TYPE_CHECKING:
    from collections.abc import Callable

KEY = SigningKey("dep-key")
CONFIG = AuthConfig(issuer=ISSUER, audiences=(AUDIENCE,), jwks_url="https://login.example.test/keys")


def build_app(authenticator: Authenticator | None) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    if authenticator is not None:
        install_authentication(app, authenticator)

    @app.get("/me")
    def me(user: CurrentUser) -> dict[str, object]:
        return {"userId": user.user_id, "roles": list(user.roles)}

    @app.get("/admin", dependencies=[Depends(require_roles("Admin", "SuperAdmin"))])
    def admin() -> str:
        return "ok"

    return TestClient(app)


def authenticator(**kwargs) -> Authenticator:
    return Authenticator(CONFIG, keys=JwksCache(lambda: jwks(KEY)), **kwargs)


def bearer(**claims) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(KEY, **claims)}"}


def test_valid_token_reaches_the_route() -> None:
    client = build_app(authenticator())
    assert client.get("/me", headers=bearer()).json() == {"userId": "123456789", "roles": ["Faculty"]}


def test_missing_token_is_401_with_the_envelope_and_challenge() -> None:
    response = build_app(authenticator()).get("/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["code"] == "unauthorized"
    assert error["metadata"] == {"reason": "missing_token"}


def test_expired_token_says_expired() -> None:
    response = build_app(authenticator()).get("/me", headers=bearer(exp=int(time.time()) - 600))
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Token has expired"
    assert response.json()["error"]["metadata"] == {"reason": "expired"}


def test_the_token_never_appears_in_logs_or_bodies(caplog: pytest.LogCaptureFixture) -> None:
    headers = bearer(aud="api://someone-else")
    token = headers["Authorization"].removeprefix("Bearer ")
    with caplog.at_level(logging.DEBUG):
        response = build_app(authenticator()).get("/me", headers=headers)
    assert response.status_code == 401
    assert token not in response.text
    assert all(token not in record.getMessage() for record in caplog.records)


def test_jwt_role_gates() -> None:
    client = build_app(authenticator())
    assert client.get("/admin", headers=bearer(roles=["Admin"])).status_code == 200
    denied = client.get("/admin", headers=bearer(roles=["Faculty"]))
    assert denied.status_code == 403
    assert denied.json()["error"]["message"] == "Access denied. Required roles: Admin, SuperAdmin"
    nobody = client.get("/admin", headers=bearer(roles=[]))
    assert nobody.json()["error"]["message"] == "User has no assigned roles."


def test_role_predicates() -> None:
    user = User("1", "a@b.c", "A", roles=("x", "y"))
    assert has_any_role(user, ["y", "z"]) and not has_any_role(user, ["z"])
    assert User("1", "no-at-sign", "A").email_domain == ""


def test_an_app_without_authentication_installed_fails_closed() -> None:
    response = build_app(None).get("/me", headers=bearer())
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"


def test_install_needs_an_application() -> None:
    with pytest.raises(TypeError):
        install_authentication(object(), authenticator())


def test_disabled_mode_is_the_development_user() -> None:
    dev = Authenticator(AuthConfig(mode=AuthMode.DISABLED, environment="development"))
    assert build_app(dev).get("/me").json() == {"userId": DEVELOPMENT_USER.user_id, "roles": ["Developer"]}


def wait_for(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_user_sync_runs_in_the_background_once_per_interval() -> None:
    synced: list[str] = []
    done = threading.Event()

    def sync(user: User) -> None:
        synced.append(user.user_id)
        done.set()

    auth = authenticator(on_authenticated=sync, notify_interval_seconds=300)
    client = build_app(auth)
    for _ in range(5):
        assert client.get("/me", headers=bearer()).status_code == 200
    assert done.wait(5)
    auth.close()
    assert synced == ["123456789"]


def test_a_failing_user_sync_is_logged_and_does_not_fail_the_request(caplog: pytest.LogCaptureFixture) -> None:
    def sync(user: User) -> None:
        raise RuntimeError("users table unavailable")

    auth = authenticator(on_authenticated=sync)
    with caplog.at_level(logging.ERROR, logger="apis.shared.auth.authenticator"):
        assert build_app(auth).get("/me", headers=bearer()).status_code == 200
        auth.close()
    assert any("background user sync failed" in record.getMessage() for record in caplog.records)
    assert any(record.exc_info for record in caplog.records)


def test_the_sync_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from apis.shared.auth import authenticator as module

    monkeypatch.setattr(module, "_MAX_REMEMBERED_USERS", 3)
    auth = authenticator(on_authenticated=lambda user: None, notify_interval_seconds=0)
    for index in range(10):
        auth._notify(User(f"{index:09d}", "a@b.c", "A"))
    auth.close()
    assert len(auth._last_notified) <= 4
