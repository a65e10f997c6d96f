"""ServiceSettings: the fields both services share, read under the subclass's prefix, and the checks they share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from apis.shared.http import LOCAL_WEB_CLIENT_ORIGINS
from apis.shared.settings import Environment, ServiceSettings

if TYPE_CHECKING:
    from collections.abc import Iterator

SHARED_DEFAULTS = {
    "environment": "production",
    "host": "127.0.0.1",
    "log_level": "INFO",
    "log_json": True,
    "max_file_bytes": 4 * 1024 * 1024,
    "auth_mode": "verify",
    "auth_issuer": "",
    "auth_audiences": [],
    "auth_jwks_url": "",
    "auth_allowed_roles": [],
    "auth_jwks_stale_grace_seconds": 3600.0,
    "auth_share_identity_claim": "email",
    "auth_share_identity_requires_email_verified": True,
    "aws_region": "us-east-1",
    "aws_endpoint_url": None,
    "users_table": "users",
    "app_roles_table": "app-roles",
    "managed_models_table": "managed-models",
    "sessions_table": "sessions-metadata",
    "user_files_table": "user-files",
    "user_files_bucket": "user-files",
    "assistants_table": "assistants",
    "documents_bucket": "rag-documents",
    "quotas_table": "user-quotas",
    "quota_events_table": "quota-events",
    "cost_summary_table": "user-cost-summary",
    "cost_records_table": "sessions-metadata",
    "cache_version_check_seconds": 1.0,
    "model_provider": "bedrock",
    "free_model_ids": [],
    "model_timeout_seconds": 600.0,
    "knowledge_base": "s3vectors",
    "knowledge_base_path": ".local/dev/knowledge-base.sqlite",
    "vector_bucket": "assistants-vectors",
    "vector_index": "assistants-index",
    "cors_allow_origins": None,
    "cors_allow_methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "cors_allow_headers": ["Authorization", "Content-Type", "Accept", "X-Request-ID", "Last-Event-ID", "Cache-Control"],
    "cors_expose_headers": ["X-Request-ID", "X-Session-ID", "Content-Disposition"],
    "cors_allow_credentials": False,
    "cors_max_age": 600,
}


class DemoSettings(ServiceSettings):
    """A service's settings as the services write them: the prefix and nothing else."""

    model_config = SettingsConfigDict(env_prefix="DEMO_API_")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No variable of the host reaches these settings (a developer's shell may set any of them)."""
    import os

    for name in list(os.environ):
        if name.startswith("DEMO_API_") or name.upper() in {field.upper() for field in SHARED_DEFAULTS}:
            monkeypatch.delenv(name)
    yield


def test_the_base_holds_exactly_the_shared_fields_with_their_defaults() -> None:
    assert DemoSettings().model_dump() == SHARED_DEFAULTS
    assert set(ServiceSettings.model_fields) == set(DemoSettings.model_fields) == set(SHARED_DEFAULTS)


def test_the_base_sets_no_prefix_and_every_field_is_read_under_the_subclass_prefix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ServiceSettings.model_config.get("env_prefix", "") == ""
    assert all(field.alias is None and field.validation_alias is None for field in DemoSettings.model_fields.values())
    values = {
        "DEMO_API_ENVIRONMENT": "staging",
        "DEMO_API_AWS_REGION": "eu-west-1",
        "DEMO_API_AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "DEMO_API_USERS_TABLE": "people",
        "DEMO_API_AUTH_AUDIENCES": '["api://one", "api://two"]',
        "DEMO_API_AUTH_SHARE_IDENTITY_REQUIRES_EMAIL_VERIFIED": "false",
        "DEMO_API_FREE_MODEL_IDS": '["free-model"]',
        "DEMO_API_CACHE_VERSION_CHECK_SECONDS": "2.5",
        "DEMO_API_CORS_ALLOW_ORIGINS": '["https://chat.example.edu"]',
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VECTOR_INDEX", "unprefixed-is-not-read")
    settings = DemoSettings()
    assert (settings.environment, settings.aws_region, settings.aws_endpoint_url, settings.users_table) == (
        "staging", "eu-west-1", "http://127.0.0.1:4566", "people",
    )  # fmt: skip
    assert settings.auth_audiences == ["api://one", "api://two"]
    assert settings.auth_share_identity_requires_email_verified is False
    assert (settings.free_model_ids, settings.cache_version_check_seconds) == (["free-model"], 2.5)
    assert settings.cors_policy().allow_origins == ("https://chat.example.edu",)
    assert settings.vector_index == "assistants-index"


def test_a_subclass_keeps_the_frozen_ignore_extra_configuration() -> None:
    settings = DemoSettings(unknown_field="ignored")  # type: ignore[call-arg]
    assert not hasattr(settings, "unknown_field")
    with pytest.raises(ValidationError, match="Instance is frozen"):
        settings.aws_region = "eu-west-1"


@pytest.mark.parametrize("environment", ["production", "staging"])
@pytest.mark.parametrize("backend", ["model_provider", "knowledge_base"])
def test_the_local_backends_are_refused_outside_development(environment: str, backend: str) -> None:
    with pytest.raises(ValidationError) as caught:
        DemoSettings(environment=environment, **{backend: "local"})  # type: ignore[arg-type]
    [error] = caught.value.errors()
    assert error["msg"] == f"Value error, {backend}=local is for development and tests; {environment} needs AWS"


@pytest.mark.parametrize("environment", ["development", "test"])
def test_the_local_backends_are_accepted_in_development_and_tests(environment: Environment) -> None:
    settings = DemoSettings(environment=environment, model_provider="local", knowledge_base="local")
    assert (settings.model_provider, settings.knowledge_base) == ("local", "local")


def test_the_cors_policy_follows_the_environment_and_refuses_an_unsafe_one() -> None:
    assert DemoSettings(environment="development").cors_policy().allow_origins == LOCAL_WEB_CLIENT_ORIGINS
    assert DemoSettings(environment="test").cors_policy().allow_origins == LOCAL_WEB_CLIENT_ORIGINS
    assert DemoSettings(environment="production").cors_policy().allow_origins == ()
    with pytest.raises(ValidationError, match=r"invalid CORS origin 'https://chat\.example\.edu/'"):
        DemoSettings(cors_allow_origins=["https://chat.example.edu/"])


def test_internal_error_text_is_exposed_in_development_only() -> None:
    exposed = {env: DemoSettings(environment=env).expose_internal_errors for env in ("development", "test", "staging",
                                                                                      "production")}  # fmt: skip
    assert exposed == {"development": True, "test": False, "staging": False, "production": False}


@pytest.mark.parametrize(
    ("field", "value"),
    [("cache_version_check_seconds", 0), ("cache_version_check_seconds", 3.5), ("model_timeout_seconds", 0),
     ("max_file_bytes", 0), ("auth_jwks_stale_grace_seconds", -1), ("environment", "prod"), ("auth_mode", "none")],
)  # fmt: skip
def test_out_of_range_values_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        DemoSettings(**{field: value})  # type: ignore[arg-type]
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]
