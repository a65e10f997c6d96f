"""Typed settings of app-api, read from ``APP_API_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from apis.shared.http import CorsPolicy, CorsSettings

__all__ = ["AppApiSettings", "Environment", "get_settings"]

Environment = Literal["development", "test", "staging", "production"]


class AppApiSettings(BaseSettings, CorsSettings):
    """Settings of one app-api process. Table and bucket names default to the local stack's."""

    model_config = SettingsConfigDict(env_prefix="APP_API_", extra="ignore", frozen=True)

    # Production unless told otherwise: every development convenience fails closed.
    environment: Environment = "production"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    # Larger request bodies are refused with a 413 (the largest the client sends is a test-chat
    # message of 100k characters); uploads go straight to S3, never through the API.
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=0)

    # Authentication (see apis.shared.auth.AuthConfig): verify tokens against the issuer's JWKS.
    # "trusted" (no signature check) is refused: nothing in front of app-api on ECS validates tokens.
    auth_mode: Literal["verify", "trusted", "disabled"] = "verify"
    auth_issuer: str = ""
    auth_audiences: list[str] = Field(default_factory=list)
    auth_jwks_url: str = ""
    auth_allowed_roles: list[str] = Field(default_factory=list)
    # When the issuer cannot be reached, keys past their hour in the cache stay in use this much longer.
    auth_jwks_stale_grace_seconds: float = Field(default=3600.0, ge=0)
    # The claim that identifies a user for assistant shares, honoured only with `email_verified: true`
    # unless the flag below is off. Entra ID sends no `email_verified` and its `email` is unverified:
    # there use `preferred_username` (v2 tokens; `upn` in v1) with the flag off. Same in inference-api.
    auth_share_identity_claim: str = "email"
    auth_share_identity_requires_email_verified: bool = True
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

    # AWS: the endpoint is set only for the embedded local endpoint; real AWS uses the default chain.
    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = None
    users_table: str = "users"
    app_roles_table: str = "app-roles"
    managed_models_table: str = "managed-models"
    sessions_table: str = "sessions-metadata"
    user_files_table: str = "user-files"
    user_files_bucket: str = "user-files"
    # Chat attachments: the client allows 4 MiB a file; each user has this much storage.
    max_file_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    file_quota_bytes: int = Field(default=1024 * 1024 * 1024, gt=0)
    assistants_table: str = "assistants"
    documents_bucket: str = "rag-documents"
    quotas_table: str = "user-quotas"
    quota_events_table: str = "quota-events"
    cost_summary_table: str = "user-cost-summary"
    cost_records_table: str = "sessions-metadata"
    # How often the role and quota caches read their table's version stamp (one GetItem each, shared by
    # every request of the interval): an admin change made through any replica arrives within about this.
    cache_version_check_seconds: float = Field(default=1.0, gt=0, le=3)

    # Models: Amazon Bedrock, or the deterministic local model (development and tests only).
    model_provider: Literal["bedrock", "local"] = "bedrock"
    # Titles and assistant test chats are model calls like any other: these models must be in the
    # managed-model catalogue, enabled, open to the caller and priced (or listed in free_model_ids,
    # models that may answer without a catalogue price, charged $0).
    title_model_id: str = "us.amazon.nova-micro-v1:0"
    test_chat_model_id: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    free_model_ids: list[str] = Field(default_factory=list)
    model_timeout_seconds: float = Field(default=600.0, gt=0)

    # Knowledge base of assistant documents: S3 Vectors with Titan embeddings, or a
    # SQLite full-text file that the local stack's two services share.
    knowledge_base: Literal["s3vectors", "local"] = "s3vectors"
    knowledge_base_path: str = ".local/dev/knowledge-base.sqlite"
    vector_bucket: str = "assistants-vectors"
    vector_index: str = "assistants-index"

    # Document ingestion: the queue that S3 "object created" events of the documents bucket go to.
    ingestion_queue_url: str | None = None
    # The worker's health endpoint: 200 while queue polls succeed, 503 once they stop.
    worker_port: int = Field(default=8002, ge=1, le=65535)

    @model_validator(mode="after")
    def _cors_policy_is_valid(self) -> AppApiSettings:
        self.cors_policy()
        return self

    def cors_policy(self) -> CorsPolicy:
        """Who may call from a browser (APP_API_CORS_*; see CorsSettings); refuses unsafe policies."""
        return self.cors_policy_for(development=self.environment in ("development", "test"))

    @model_validator(mode="after")
    def _tokens_are_verified_here(self) -> AppApiSettings:
        if self.auth_mode == "trusted":
            raise ValueError(
                "auth_mode=trusted skips the token signature check; app-api runs with nothing in front of it"
                " that validates tokens, so it must verify them (auth_mode=verify)"
            )
        return self

    @model_validator(mode="after")
    def _development_backends_stay_in_development(self) -> AppApiSettings:
        local_only = {"model_provider": self.model_provider, "knowledge_base": self.knowledge_base}
        for name, value in local_only.items():
            if value == "local" and self.environment not in ("development", "test"):
                raise ValueError(f"{name}=local is for development and tests; {self.environment} needs AWS")
        return self

    @property
    def expose_internal_errors(self) -> bool:
        """Internal error text reaches clients in development only."""
        return self.environment == "development"


@lru_cache
def get_settings() -> AppApiSettings:
    """Return the process's settings, read once."""
    return AppApiSettings()
