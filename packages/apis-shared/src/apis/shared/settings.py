"""The settings both services share: a pydantic-settings base each service subclasses.

The base sets no environment prefix: a service's subclass sets its own
(``env_prefix="APP_API_"``), so every field here is read from that service's
variables (``APP_API_AWS_REGION``, ``INFERENCE_API_AWS_REGION``). The library
itself never instantiates it and reads no environment; the services do, at
their edge, and pass the settings to ``apis.shared.composition``.

    class AppApiSettings(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="APP_API_")
        port: int = 8000
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from apis.shared.http import CorsPolicy, CorsSettings

__all__ = ["Environment", "ServiceSettings"]

Environment = Literal["development", "test", "staging", "production"]

_DEVELOPMENT_ENVIRONMENTS = ("development", "test")


class ServiceSettings(BaseSettings, CorsSettings):
    """The fields, defaults and checks both services' settings share; table and bucket names are the local stack's."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # Production unless told otherwise: every development convenience fails closed.
    environment: Environment = "production"
    host: str = "127.0.0.1"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    # Chat attachments: the client allows 4 MiB a file; inference-api refuses a larger attached upload unread.
    max_file_bytes: int = Field(default=4 * 1024 * 1024, gt=0)

    # Authentication (see apis.shared.auth.AuthConfig): verify tokens against the issuer's JWKS.
    auth_mode: Literal["verify", "trusted", "disabled"] = "verify"
    auth_issuer: str = ""
    auth_audiences: list[str] = Field(default_factory=list)
    auth_jwks_url: str = ""
    auth_allowed_roles: list[str] = Field(default_factory=list)
    # When the issuer cannot be reached, keys past their hour in the cache stay in use this much longer.
    auth_jwks_stale_grace_seconds: float = Field(default=3600.0, ge=0)
    # The claim that identifies a user for assistant shares, honoured only with `email_verified: true`
    # unless the flag below is off. Entra ID sends no `email_verified` and its `email` is unverified:
    # there use `preferred_username` (v2 tokens; `upn` in v1) with the flag off. Both services must agree.
    auth_share_identity_claim: str = "email"
    auth_share_identity_requires_email_verified: bool = True

    # AWS: the endpoint is set only for the embedded local endpoint; real AWS uses the default chain.
    aws_region: str = "us-east-1"
    aws_endpoint_url: str | None = None
    users_table: str = "users"
    app_roles_table: str = "app-roles"
    managed_models_table: str = "managed-models"
    sessions_table: str = "sessions-metadata"
    user_files_table: str = "user-files"
    user_files_bucket: str = "user-files"
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
    # Models that may answer without a catalogue price (charged $0); every other model must be in the
    # managed-model catalogue, enabled, open to the caller and priced.
    free_model_ids: list[str] = Field(default_factory=list)
    # A model answer streams for minutes: this bounds the gap between two of its events.
    model_timeout_seconds: float = Field(default=600.0, gt=0)

    # Knowledge base of assistant documents: S3 Vectors with Titan embeddings, or a
    # SQLite full-text file that the local stack's two services share.
    knowledge_base: Literal["s3vectors", "local"] = "s3vectors"
    knowledge_base_path: str = ".local/dev/knowledge-base.sqlite"
    vector_bucket: str = "assistants-vectors"
    vector_index: str = "assistants-index"

    @model_validator(mode="after")
    def _cors_policy_is_valid(self) -> Self:
        self.cors_policy()
        return self

    @model_validator(mode="after")
    def _development_backends_stay_in_development(self) -> Self:
        local_only = {"model_provider": self.model_provider, "knowledge_base": self.knowledge_base}
        for name, value in local_only.items():
            if value == "local" and self.environment not in _DEVELOPMENT_ENVIRONMENTS:
                raise ValueError(f"{name}=local is for development and tests; {self.environment} needs AWS")
        return self

    def cors_policy(self) -> CorsPolicy:
        """Who may call from a browser (<PREFIX>CORS_*; see CorsSettings); refuses unsafe policies."""
        return self.cors_policy_for(development=self.environment in _DEVELOPMENT_ENVIRONMENTS)

    @property
    def expose_internal_errors(self) -> bool:
        """Internal error text reaches clients in development only."""
        return self.environment == "development"
