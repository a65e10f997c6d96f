"""Typed settings of inference-api, read from ``INFERENCE_API_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from apis.shared.http import CorsPolicy, CorsSettings

__all__ = ["Environment", "InferenceApiSettings", "get_settings"]

Environment = Literal["development", "test", "staging", "production"]


class InferenceApiSettings(BaseSettings, CorsSettings):
    """Settings of one inference-api process. Table and bucket names default to the local stack's."""

    model_config = SettingsConfigDict(env_prefix="INFERENCE_API_", extra="ignore", frozen=True)

    # Production unless told otherwise: every development convenience fails closed.
    environment: Environment = "production"
    host: str = "127.0.0.1"
    # AgentCore Runtime sends traffic to port 8080 of the container.
    port: int = Field(default=8080, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    # Larger request bodies are refused with a 413: room for a 200k-character message and five
    # inline files of 4 MiB (base64) from API callers; the web client uploads files instead.
    max_request_body_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    # An attached upload (file_upload_ids) larger than this is refused, never read (app-api's limit).
    max_file_bytes: int = Field(default=4 * 1024 * 1024, gt=0)

    # Authentication: full JWT validation by default; "trusted" only when set here, for a runtime
    # whose AgentCore JWT authorizer validates every token in front of it (issuer, audience and
    # expiry are still checked; the signature is the authorizer's job).
    auth_mode: Literal["verify", "trusted", "disabled"] = "verify"
    auth_issuer: str = ""
    auth_audiences: list[str] = Field(default_factory=list)
    auth_jwks_url: str = ""
    auth_allowed_roles: list[str] = Field(default_factory=list)
    # When the issuer cannot be reached, keys past their hour in the cache stay in use this much longer.
    auth_jwks_stale_grace_seconds: float = Field(default=3600.0, ge=0)
    # Who a user is for assistant shares: as app-api's settings of the same names (keep them equal).
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
    # The client's "System Default" sends model_id null; this model answers it.
    default_model_id: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    model_timeout_seconds: float = Field(default=600.0, gt=0)
    max_history_messages: int = Field(default=100, ge=0, le=1000)
    quota_enforcement: bool = True
    # Models that may answer without a catalogue price (charged $0); every other model, the
    # default included, must be in the managed-model catalogue, enabled, open to the caller
    # and priced.
    free_model_ids: list[str] = Field(default_factory=list)
    # A turn's cost bound stays reserved against the quota until its cost is recorded, or
    # for this long when its process dies first.
    quota_reservation_seconds: int = Field(default=900, ge=60)
    # A turn holds its session for this long, renewed while it streams; a second turn of the
    # session meanwhile is a 409. A process that dies mid-turn blocks its session this long.
    turn_lease_seconds: int = Field(default=120, ge=10)

    # Knowledge base of assistant documents (the one app-api's ingestion fills).
    knowledge_base: Literal["s3vectors", "local"] = "s3vectors"
    knowledge_base_path: str = ".local/dev/knowledge-base.sqlite"
    vector_bucket: str = "assistants-vectors"
    vector_index: str = "assistants-index"

    @model_validator(mode="after")
    def _cors_policy_is_valid(self) -> InferenceApiSettings:
        self.cors_policy()
        return self

    def cors_policy(self) -> CorsPolicy:
        """Who may call from a browser (INFERENCE_API_CORS_*; see CorsSettings); refuses unsafe policies."""
        return self.cors_policy_for(development=self.environment in ("development", "test"))

    @model_validator(mode="after")
    def _development_backends_stay_in_development(self) -> InferenceApiSettings:
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
def get_settings() -> InferenceApiSettings:
    """Return the process's settings, read once."""
    return InferenceApiSettings()
