"""Auth of /invocations: full JWT validation by default; "trusted" behind AgentCore's JWT authorizer."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

from apis.inference_api.container import build_container
from apis.inference_api.main import create_app
from apis.inference_api.settings import InferenceApiSettings
from apis.shared.auth import AuthMode
from apis.shared.composition import AwsClients, build_authenticator
from tests.inference_api.conftest import EMPLOYEE, chat
from tests.support.tokens import AUDIENCE, ISSUER, SigningKey, issue

if TYPE_CHECKING:
    import pytest


STRANGER = SigningKey("not-the-issuers")


def bearer(**claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(STRANGER, **{EMPLOYEE: '111111111', 'roles': ['Faculty'], **claims})}"}


def test_verify_mode_refuses_a_token_it_cannot_verify(client: TestClient) -> None:
    response = chat(client, bearer())
    assert response.status_code == 401 and response.json()["error"]["message"]


def test_trusted_mode_takes_the_authorizers_word_but_still_checks_claims(
    settings: InferenceApiSettings, dynamodb: Any, s3: Any, managed_model: Any, quotas: Any, knowledge_base: Any,
    model: Any,
) -> None:  # fmt: skip
    trusted = settings.model_copy(update={"auth_mode": "trusted", "auth_jwks_url": ""})
    container = build_container(trusted, clients=AwsClients(dynamodb=dynamodb, s3=s3),
                                knowledge_base=knowledge_base, model_provider=model)  # fmt: skip
    with TestClient(create_app(trusted, container=container), raise_server_exceptions=False) as client:
        assert chat(client, bearer()).status_code == 200
        assert chat(client, bearer(aud="api://someone-else")).status_code == 401
        assert chat(client, bearer(exp=int(time.time()) - 3600)).status_code == 401
        assert chat(client, bearer(iss="https://elsewhere.example")).status_code == 401


def test_trusted_mode_only_when_the_settings_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("INFERENCE_API_AUTH_MODE", "INFERENCE_API_ENVIRONMENT"):
        monkeypatch.delenv(variable, raising=False)
    values = {"auth_issuer": ISSUER, "auth_audiences": [AUDIENCE], "auth_jwks_url": "https://login.example.test/k"}
    assert InferenceApiSettings(**values).auth_mode == "verify"
    monkeypatch.setenv("INFERENCE_API_AUTH_MODE", "trusted")
    trusted = InferenceApiSettings(**values)
    authenticator = build_authenticator(trusted, users=None, allow_trusted=True)  # type: ignore[arg-type]
    assert authenticator.config.mode is AuthMode.TRUSTED


def test_the_token_settings_reach_the_authenticator() -> None:
    settings = InferenceApiSettings(
        auth_issuer=ISSUER, auth_audiences=[AUDIENCE], auth_jwks_url="https://login.example.test/k",
        auth_jwks_stale_grace_seconds=600, auth_share_identity_claim="preferred_username",
        auth_share_identity_requires_email_verified=False,
    )  # fmt: skip
    config = build_authenticator(settings, users=None).config  # type: ignore[arg-type]
    assert (config.jwks_stale_grace_seconds, config.claims.verified_email) == (600, "preferred_username")
    assert config.verified_email_requires_flag is False
    assert InferenceApiSettings().auth_share_identity_claim == "email"
    assert InferenceApiSettings().auth_share_identity_requires_email_verified is True
