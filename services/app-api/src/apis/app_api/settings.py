"""Typed settings of app-api, read from ``APP_API_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from apis.shared.settings import ServiceSettings

__all__ = ["AppApiSettings", "get_settings"]


class AppApiSettings(ServiceSettings):
    """Settings of one app-api process: the fields both services share (``ServiceSettings``) and its own."""

    model_config = SettingsConfigDict(env_prefix="APP_API_")

    port: int = Field(default=8000, ge=1, le=65535)
    # Larger request bodies are refused with a 413 (the largest the client sends is a test-chat
    # message of 100k characters); uploads go straight to S3, never through the API.
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=0)

    # System administrators (role and quota administration) by JWT role.
    admin_jwt_roles: list[str] = Field(default_factory=lambda: ["DotNetDevelopers"])
    # Administrators (the other admin pages): these JWT roles, or a system administrator.
    admin_roles: list[str] = Field(default_factory=lambda: ["Admin", "SuperAdmin", "DotNetDevelopers"])

    # Sign-in (/auth/*): the authorization-code flow with PKCE, run for the web client against the
    # identity provider found at {oidc_issuer}/.well-known/openid-configuration (empty: auth_issuer).
    # Until issuer, client id, secret and redirect URI are set, the /auth routes answer 503.
    # The secret comes from a secret store in production (e.g. ECS task `secrets`), never the repository.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr | None = None
    # The SPA's /auth/callback; other redirect URIs a client may ask for must be listed below.
    oidc_redirect_uri: str = ""
    oidc_allowed_redirect_uris: list[str] = Field(default_factory=list)
    # Where logout may send the browser back to (the client sends its origin). Empty: the origins
    # (scheme://host[:port]) of oidc_redirect_uri and oidc_allowed_redirect_uris; a list set here
    # is the whole list.
    oidc_post_logout_redirect_uris: list[str] = Field(default_factory=list)
    oidc_scopes: list[str] = Field(default_factory=lambda: ["openid", "profile", "email", "offline_access"])
    oidc_state_table: str = "oidc-state"
    oidc_state_ttl_seconds: int = Field(default=600, gt=0)
    # Calls to the provider: connecting is short, reading bounded; a request waiting for another
    # one's discovery fetch waits at most the read timeout.
    oidc_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    oidc_timeout_seconds: float = Field(default=10.0, gt=0)
    oidc_discovery_ttl_seconds: float = Field(default=3600, gt=0)
    # A failed discovery is answered (503/504) without calling the provider for this long.
    oidc_discovery_backoff_seconds: float = Field(default=15.0, ge=0)

    # Chat attachments: each user has this much storage.
    file_quota_bytes: int = Field(default=1024 * 1024 * 1024, gt=0)

    # Titles and assistant test chats are model calls like any other: these models must be in the
    # managed-model catalogue, enabled, open to the caller and priced (or listed in free_model_ids).
    title_model_id: str = "us.amazon.nova-micro-v1:0"
    test_chat_model_id: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"

    # Document ingestion: the queue that S3 "object created" events of the documents bucket go to.
    ingestion_queue_url: str | None = None
    # The worker's health endpoint: 200 while queue polls succeed, 503 once they stop.
    worker_port: int = Field(default=8002, ge=1, le=65535)

    @model_validator(mode="after")
    def _tokens_are_verified_here(self) -> Self:
        if self.auth_mode == "trusted":
            raise ValueError(
                "auth_mode=trusted skips the token signature check; app-api runs with nothing in front of it"
                " that validates tokens, so it must verify them (auth_mode=verify)"
            )
        return self


@lru_cache
def get_settings() -> AppApiSettings:
    """Return the process's settings, read once."""
    return AppApiSettings()
