"""Typed settings of app-api, read from ``APP_API_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["AppApiSettings", "Environment", "get_settings"]

Environment = Literal["development", "test", "staging", "production"]


class AppApiSettings(BaseSettings):
    """Settings of one app-api process. Table and bucket names default to the local stack's."""

    model_config = SettingsConfigDict(env_prefix="APP_API_", extra="ignore", frozen=True)

    # Production unless told otherwise: every development convenience fails closed.
    environment: Environment = "production"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True

    # Authentication (see apis.shared.auth.AuthConfig): verify tokens against the issuer's JWKS.
    auth_mode: Literal["verify", "trusted", "disabled"] = "verify"
    auth_issuer: str = ""
    auth_audiences: list[str] = Field(default_factory=list)
    auth_jwks_url: str = ""
    auth_allowed_roles: list[str] = Field(default_factory=list)
    # System administrators (role and quota administration) by JWT role.
    admin_jwt_roles: list[str] = Field(default_factory=lambda: ["DotNetDevelopers"])
    # Administrators (the other admin pages): these JWT roles, or a system administrator.
    admin_roles: list[str] = Field(default_factory=lambda: ["Admin", "SuperAdmin", "DotNetDevelopers"])

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

    # Models: Amazon Bedrock, or the deterministic local model (development and tests only).
    model_provider: Literal["bedrock", "local"] = "bedrock"
    title_model_id: str = "us.amazon.nova-micro-v1:0"
    test_chat_model_id: str = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
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
