"""app-api verifies every token itself: trusted mode is refused at startup; the token settings reach the validator."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from apis.app_api.settings import AppApiSettings, get_settings
from apis.shared.composition import build_authenticator
from tests.support.tokens import AUDIENCE, ISSUER

if TYPE_CHECKING:
    from collections.abc import Iterator

KEYS_URL = "https://login.example.test/keys"


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for variable in ("APP_API_AUTH_MODE", "APP_API_ENVIRONMENT"):
        monkeypatch.delenv(variable, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("environment", ["production", "staging", "test", "development"])
def test_trusted_mode_is_refused_in_every_environment(environment: str) -> None:
    with pytest.raises(ValidationError, match="auth_mode=trusted skips the token signature check"):
        AppApiSettings(environment=environment, auth_mode="trusted", auth_issuer=ISSUER, auth_audiences=[AUDIENCE])


def test_a_process_told_to_trust_tokens_does_not_start(fresh_settings: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_API_AUTH_MODE", "trusted")
    with pytest.raises(ValidationError, match="must verify them"):
        get_settings()


def test_the_token_settings_reach_the_validator() -> None:
    settings = AppApiSettings(
        environment="test", auth_issuer=ISSUER, auth_audiences=[AUDIENCE], auth_jwks_url=KEYS_URL,
        auth_jwks_stale_grace_seconds=900, auth_share_identity_claim="upn",
        auth_share_identity_requires_email_verified=False,
    )  # fmt: skip
    config = build_authenticator(settings, users=None).config  # type: ignore[arg-type]
    assert (config.jwks_stale_grace_seconds, config.claims.verified_email) == (900, "upn")
    assert config.verified_email_requires_flag is False and config.allow_trusted is False
    defaults = AppApiSettings(environment="test")
    assert (defaults.auth_mode, defaults.auth_jwks_stale_grace_seconds) == ("verify", 3600)
    assert (defaults.auth_share_identity_claim, defaults.auth_share_identity_requires_email_verified) == ("email", True)
